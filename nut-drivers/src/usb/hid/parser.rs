//! The item walk of C NUT 2.8.0's HID parser (`hidparser.c`), reproduced with its limits and
//! quirks so that every field gets the same path, report id, offset and size as in C.
//!
//! What C does, and so what this walk does:
//! - Only Usage Page, Usage, Collection, End Collection, Input, Output, Feature, Report ID,
//!   Report Size, Report Count, Logical/Physical Min/Max, Unit and Unit Exponent are acted on.
//!   Push/Pop, Usage Minimum/Maximum, designators, strings and delimiters are ignored; long
//!   items are skipped.
//! - The local usage stack is emptied after every collection item and after every main item
//!   whose count is used up. A main item with count N takes one usage per field; fields left
//!   without a usage (usage 0) are padding: they take bits but are not kept.
//! - A Report Count of 0 means 256 (C counts down in a byte), sizes and counts keep their low
//!   byte, and a main item that ends the descriptor stops after its first field.
//! - Offsets are kept per (report id, type) in a byte, so they wrap at 256 bits; report id 0
//!   has no offset slot of its own, so all its fields sit at offset 0.
//! - A Logical Maximum that reads below the Logical Minimum is taken as unsigned.
//! - Bytes missing at the end of a truncated item read as zero.
//!
//! Where C runs into undefined behaviour (writing past its path or usage buffers, a null offset
//! slot) the walk stops with a [`DescriptorError`] instead.

use super::descriptor::{DescriptorError, Field, ReportType, MAX_FIELDS, MAX_PATH_DEPTH};

/// Size of C's usage stack.
const USAGE_SLOTS: usize = 50;
/// Size of C's table of report offsets.
const OFFSET_SLOTS: usize = 500;

/// The result of a walk: the kept fields, C's per-id report lengths, and whether C's field
/// limit was reached.
pub(crate) struct Parsed {
    pub(crate) fields: Vec<Field>,
    pub(crate) lengths: Box<[usize; 256]>,
    pub(crate) truncated: bool,
}

/// Walks `desc` as C's `Parse_ReportDesc` does.
pub(crate) fn parse(desc: &[u8]) -> Result<Parsed, DescriptorError> {
    let mut walker = Walker::new(desc);
    let mut fields = Vec::new();
    let mut lengths = Box::new([0usize; 256]);
    while fields.len() < MAX_FIELDS {
        let Some((kept, field)) = walker.next_field()? else {
            break;
        };
        let end = (field.offset + field.size + 7) >> 3;
        let slot = &mut lengths[usize::from(field.report_id)];
        *slot = (*slot).max(end as usize);
        if kept {
            fields.push(field);
        }
    }
    let truncated = fields.len() == MAX_FIELDS && walker.pos < desc.len();
    Ok(Parsed {
        fields,
        lengths,
        truncated,
    })
}

/// One offset slot: report id (0 = free), main item tag, bit offset.
#[derive(Clone, Copy)]
struct Slot {
    id: u8,
    tag: u8,
    offset: u8,
}

/// The parser state of C's `HIDParser_t`.
struct Walker<'a> {
    desc: &'a [u8],
    pos: usize,
    item: u8,
    value: u32,
    // The current global environment and path (C's `Data`).
    nodes: [u32; MAX_PATH_DEPTH],
    depth: usize,
    /// Set once an End Collection found the path empty; the path is unusable afterwards.
    broken: bool,
    report_id: u8,
    size: u8,
    unit: u32,
    unit_exponent: i8,
    logical_min: i64,
    logical_max: i64,
    physical_min: i64,
    physical_max: i64,
    have_physical_min: bool,
    have_physical_max: bool,
    slots: Vec<Slot>,
    report_count: u8,
    count: u8,
    usage_page: u16,
    usages: [u32; USAGE_SLOTS],
    usage_count: usize,
}

/// Byte sizes of short item data, by the two low bits of the prefix.
const DATA_SIZE: [usize; 4] = [0, 1, 2, 4];

/// Sign-extends item data from its byte size (C's `FormatValue`).
fn signed(value: u32, size: usize) -> i64 {
    match size {
        1 => i64::from(value as u8 as i8),
        2 => i64::from(value as u16 as i16),
        4 => i64::from(value as i32),
        _ => i64::from(value),
    }
}

impl<'a> Walker<'a> {
    fn new(desc: &'a [u8]) -> Self {
        Self {
            desc,
            pos: 0,
            item: 0,
            value: 0,
            nodes: [0; MAX_PATH_DEPTH],
            depth: 0,
            broken: false,
            report_id: 0,
            size: 0,
            unit: 0,
            unit_exponent: 0,
            logical_min: 0,
            logical_max: 0,
            physical_min: 0,
            physical_max: 0,
            have_physical_min: false,
            have_physical_max: false,
            slots: Vec::new(),
            report_count: 0,
            count: 0,
            usage_page: 0,
            usages: [0; USAGE_SLOTS],
            usage_count: 0,
        }
    }

    /// The next field, and whether C keeps it (it has a usage), or `None` at the end.
    fn next_field(&mut self) -> Result<Option<(bool, Field)>, DescriptorError> {
        while self.pos < self.desc.len() {
            if self.count == 0 {
                self.read_item();
            }
            let size = DATA_SIZE[usize::from(self.item & 3)];
            match self.item & 0xFC {
                0x04 => self.usage_page = self.value as u16,
                0x08 => self.push_usage(size > 2)?,
                0xA0 => self.collection()?,
                0xC0 => self.end_collection(),
                tag @ (0x80 | 0x90 | 0xB0) => return self.main_item(tag).map(Some),
                0x84 => self.report_id = self.value as u8,
                0x74 => self.size = self.value as u8,
                0x94 => self.report_count = self.value as u8,
                0x54 => {
                    let mut exponent = self.value as u8 as i8;
                    if exponent > 7 {
                        exponent = (exponent as u8 | 0xF0) as i8;
                    }
                    self.unit_exponent = exponent;
                }
                0x64 => self.unit = self.value,
                0x14 => self.logical_min = signed(self.value, size),
                0x24 => {
                    self.logical_max = signed(self.value, size);
                    if self.logical_max < self.logical_min {
                        self.logical_max = i64::from(self.value);
                    }
                }
                0x34 => {
                    self.physical_min = signed(self.value, size);
                    self.have_physical_min = true;
                }
                0x44 => {
                    self.physical_max = signed(self.value, size);
                    self.have_physical_max = true;
                }
                0xFC => self.pos += (self.value & 0xFF) as usize,
                _ => {}
            }
        }
        Ok(None)
    }

    /// Reads the next short item's prefix and data (missing bytes read as zero).
    fn read_item(&mut self) {
        self.item = self.desc.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        let size = DATA_SIZE[usize::from(self.item & 3)];
        self.value = 0;
        for i in 0..size {
            let byte = self.desc.get(self.pos + i).copied().unwrap_or(0);
            self.value = self.value.wrapping_add(u32::from(byte) << (8 * i));
        }
        self.pos += size;
    }

    fn push_usage(&mut self, extended: bool) -> Result<(), DescriptorError> {
        if self.usage_count >= USAGE_SLOTS {
            return Err(DescriptorError::TooManyUsages { offset: self.pos });
        }
        self.usages[self.usage_count] = if extended {
            self.value
        } else {
            (u32::from(self.usage_page) << 16) | (self.value & 0xFFFF)
        };
        self.usage_count += 1;
        Ok(())
    }

    /// Takes the first usage off the stack, as C shifts its table (the slot after a full table
    /// is C's counter, which is what C shifts in).
    fn pop_usage(&mut self) {
        if self.usage_count > 0 {
            for j in 0..self.usage_count {
                self.usages[j] = match self.usages.get(j + 1) {
                    Some(next) => *next,
                    None => self.usage_count as u32,
                };
            }
            self.usage_count -= 1;
        }
    }

    fn reset_locals(&mut self) {
        self.usage_count = 0;
        self.usages = [0; USAGE_SLOTS];
    }

    fn push_node(&mut self, node: u32) -> Result<(), DescriptorError> {
        if self.broken {
            return Err(DescriptorError::UnbalancedCollection { offset: self.pos });
        }
        if self.depth >= MAX_PATH_DEPTH {
            return Err(DescriptorError::PathTooDeep { offset: self.pos });
        }
        self.nodes[self.depth] = node;
        self.depth += 1;
        Ok(())
    }

    fn collection(&mut self) -> Result<(), DescriptorError> {
        self.push_node(self.usages[0])?;
        self.pop_usage();
        if self.value >= 0x80 {
            self.push_node(0x00FF_0000 | (self.value & 0x7F))?;
        }
        self.reset_locals();
        Ok(())
    }

    fn end_collection(&mut self) {
        if self.broken || self.depth == 0 {
            self.broken = true;
        } else {
            self.depth -= 1;
            if self.nodes[self.depth] & 0xFFFF_0000 == 0x00FF_0000 {
                if self.depth == 0 {
                    self.broken = true;
                } else {
                    self.depth -= 1;
                }
            }
        }
        self.reset_locals();
    }

    /// C's `GetReportOffset`: the offset slot of (id, tag), claiming the first free one. Report
    /// id 0 never owns a slot: it claims (and zeroes) the first free one every time.
    fn slot(&mut self, id: u8, tag: u8) -> Result<usize, DescriptorError> {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.id == 0 {
                *slot = Slot { id, tag, offset: 0 };
                return Ok(i);
            }
            if slot.id == id && slot.tag == tag {
                return Ok(i);
            }
        }
        if self.slots.len() < OFFSET_SLOTS {
            self.slots.push(Slot { id, tag, offset: 0 });
            return Ok(self.slots.len() - 1);
        }
        Err(DescriptorError::TooManyReports { offset: self.pos })
    }

    fn main_item(&mut self, tag: u8) -> Result<(bool, Field), DescriptorError> {
        let kept = self.usages[0] != 0;
        if self.count == 0 {
            self.count = self.report_count;
        }
        self.push_node(self.usages[0])?;
        self.pop_usage();

        let offset = {
            let i = self.slot(self.report_id, tag)?;
            self.slots[i].offset
        };
        let report_type = ReportType::from_item_tag(tag).unwrap_or(ReportType::Feature);
        let field = Field {
            path: self.nodes[..self.depth].to_vec(),
            report_type,
            report_id: self.report_id,
            offset: u32::from(offset),
            size: u32::from(self.size),
            logical_min: self.logical_min,
            logical_max: self.logical_max,
            physical_min: self.physical_min,
            physical_max: self.physical_max,
            have_physical_min: self.have_physical_min,
            have_physical_max: self.have_physical_max,
            unit: self.unit,
            unit_exponent: self.unit_exponent,
            attributes: self.value & 0xFF,
            stale_nodes: self.nodes[self.depth..].to_vec(),
        };
        let i = self.slot(self.report_id, tag)?;
        self.slots[i].offset = self.slots[i].offset.wrapping_add(self.size);

        self.depth -= 1;
        self.count = self.count.wrapping_sub(1);
        if self.count == 0 {
            self.reset_locals();
        }
        Ok((kept, field))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DescriptorError, ReportDescriptor, ReportType};

    /// UPS application collection around `body`.
    fn ups(body: &[u8]) -> Vec<u8> {
        let mut d = vec![0x05, 0x84, 0x09, 0x04, 0xa1, 0x01];
        d.extend_from_slice(body);
        d.push(0xc0);
        d
    }

    #[test]
    fn offsets_per_report_and_type_wrap_at_256() {
        // report 1: 40 Feature fields of 8 bits, each with its own usage
        let mut body = vec![0x85, 0x01, 0x75, 0x08, 0x95, 0x28];
        for _ in 0..40 {
            body.extend_from_slice(&[0x09, 0x30]);
        }
        body.extend_from_slice(&[0xb1, 0x02, 0x09, 0x31, 0x81, 0x02]);
        let desc = ReportDescriptor::parse(&ups(&body)).expect("parses");
        let offsets: Vec<u32> = desc.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offsets[31], 248);
        assert_eq!(offsets[32], 0, "C keeps offsets in a byte");
        // the Input field has its own offset slot
        assert_eq!(desc.fields[40].report_type, ReportType::Input);
        assert_eq!(desc.fields[40].offset, 0);
        // lengths come from wrapped offsets too: at most 32 bytes + the id byte
        assert_eq!(desc.report_len(1, ReportType::Feature), 33);
    }

    #[test]
    fn report_id_zero_puts_everything_at_offset_zero() {
        let body = [0x75, 0x08, 0x95, 0x02, 0x09, 0x30, 0x09, 0x31, 0xb1, 0x02];
        let desc = ReportDescriptor::parse(&ups(&body)).expect("parses");
        assert_eq!(desc.fields.len(), 2);
        assert!(desc
            .fields
            .iter()
            .all(|f| f.offset == 0 && f.report_id == 0));
        assert_eq!(desc.report_len(0, ReportType::Feature), 2);
    }

    #[test]
    fn count_zero_means_256_and_padding_is_not_kept() {
        // one usage, count 0: one kept field then 255 padding fields of 1 bit
        let body = [0x85, 0x02, 0x75, 0x01, 0x95, 0x00, 0x09, 0x30, 0x81, 0x02];
        let desc = ReportDescriptor::parse(&ups(&body)).expect("parses");
        assert_eq!(desc.fields.len(), 1);
        assert_eq!(desc.report_len(2, ReportType::Input), 1 + 32);
    }

    #[test]
    fn globals_decoded_as_c() {
        // LogMin 0, LogMax 0xff in one byte reads -1 < 0: C takes it unsigned;
        // unit exponent 0x0e is -2; a 4-byte usage carries its own page
        let body = [
            0x85, 0x03, 0x15, 0x00, 0x25, 0xff, 0x55, 0x0e, 0x75, 0x08, 0x95, 0x01, 0x0b, 0x60,
            0x00, 0x86, 0xff, 0xb1, 0x02,
        ];
        let desc = ReportDescriptor::parse(&ups(&body)).expect("parses");
        let f = &desc.fields[0];
        assert_eq!((f.logical_min, f.logical_max), (0, 255));
        assert_eq!(f.unit_exponent, -2);
        assert_eq!(f.path, vec![0x0084_0004, 0xff86_0060]);
    }

    #[test]
    fn indexes_prefix_find_and_stale_nodes() {
        // UPS.Flow.[4].ConfigVoltage then UPS.PresentStatus.Good.ACPresent-less sibling
        let body = [
            0x09, 0x1e, 0xa1, 0x84, 0x85, 0x04, 0x75, 0x08, 0x95, 0x01, 0x09, 0x40, 0xb1, 0x02,
            0xc0, 0x09, 0x02, 0xa1, 0x02, 0x09, 0x61, 0xb1, 0x02, 0xc0, 0x09, 0x35, 0xb1, 0x02,
        ];
        let desc = ReportDescriptor::parse(&ups(&body)).expect("parses");
        assert_eq!(
            desc.fields[0].path,
            vec![0x0084_0004, 0x0084_001e, 0x00ff_0004, 0x0084_0040]
        );
        assert_eq!(
            desc.fields[1].path,
            vec![0x0084_0004, 0x0084_0002, 0x0084_0061]
        );
        // a prefix finds the first deeper field
        let found = desc.find(&[0x0084_0004, 0x0084_0002], Some(ReportType::Feature));
        assert_eq!(found, Some(&desc.fields[1]));
        // PercentLoad (depth 2) still has Good (from the field before) in C's buffer
        let stale = [0x0084_0004, 0x0084_0035, 0x0084_0061];
        assert_eq!(desc.find(&stale, None), Some(&desc.fields[2]));
        assert_eq!(desc.find(&stale, Some(ReportType::Input)), None);
    }

    #[test]
    fn c_limits_are_errors() {
        assert_eq!(ReportDescriptor::parse(&[]), Err(DescriptorError::NoFields));
        assert!(matches!(
            ReportDescriptor::parse(&vec![0u8; 6145]),
            Err(DescriptorError::TooLong { len: 6145 })
        ));
        let deep: Vec<u8> = [0x09, 0x04, 0xa1, 0x00].repeat(11);
        assert!(matches!(
            ReportDescriptor::parse(&deep),
            Err(DescriptorError::PathTooDeep { .. })
        ));
        let usages: Vec<u8> = [0x09, 0x30].repeat(51);
        assert!(matches!(
            ReportDescriptor::parse(&usages),
            Err(DescriptorError::TooManyUsages { .. })
        ));
        // a stray End Collection at the very end is harmless in C, but not before a field
        let mut body = vec![0x09, 0x30, 0x75, 0x08, 0x95, 0x01, 0xb1, 0x02];
        let mut trailing = ups(&body);
        trailing.extend_from_slice(&[0xc0, 0xc0]);
        assert_eq!(
            ReportDescriptor::parse(&trailing).map(|d| d.fields.len()),
            Ok(1)
        );
        body.splice(0..0, [0xc0, 0xc0]);
        assert!(matches!(
            ReportDescriptor::parse(&ups(&body)),
            Err(DescriptorError::UnbalancedCollection { .. })
        ));
        // a truncated last item reads zeros instead of failing
        assert!(ReportDescriptor::parse(&[0x09, 0x30, 0x75, 0x08, 0x95, 0x01, 0xb2]).is_ok());
    }
}
