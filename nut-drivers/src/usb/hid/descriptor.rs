//! The parsed report descriptor: its fields ([`Field`], one per C `HIDData_t`), the report
//! lengths C derives from them, and C's `FindObject_with_Path` lookup.

use std::fmt;

use super::parser;

/// The largest report descriptor C NUT 2.8.0 accepts: its USB layer reads the descriptor into a
/// 6144-byte buffer and skips any device announcing a longer one.
pub const MAX_DESCRIPTOR_LEN: usize = 6144;

/// The depth of a path in C (`PATH_SIZE`): collections, collection indexes and the usage itself.
pub const MAX_PATH_DEPTH: usize = 10;

/// How many fields C keeps (`MAX_REPORT`); the rest of a larger descriptor is ignored.
pub const MAX_FIELDS: usize = 500;

/// The kind of report a field travels in: the main item that declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportType {
    /// An Input main item (tag 0x80): sent by the device, also on the interrupt pipe.
    Input,
    /// An Output main item (tag 0x90).
    Output,
    /// A Feature main item (tag 0xB0): read and written with GET_REPORT / SET_REPORT.
    Feature,
}

impl ReportType {
    /// The report type number of the HID class requests (1 Input, 2 Output, 3 Feature).
    pub fn request_code(self) -> u8 {
        match self {
            Self::Input => 1,
            Self::Output => 2,
            Self::Feature => 3,
        }
    }

    /// The main item byte (size bits cleared) that declares this type: 0x80, 0x90 or 0xB0.
    pub fn item_tag(self) -> u8 {
        match self {
            Self::Input => 0x80,
            Self::Output => 0x90,
            Self::Feature => 0xB0,
        }
    }

    /// The type declared by a main item byte (size bits ignored), if it is Input/Output/Feature.
    pub fn from_item_tag(tag: u8) -> Option<Self> {
        match tag & 0xFC {
            0x80 => Some(Self::Input),
            0x90 => Some(Self::Output),
            0xB0 => Some(Self::Feature),
            _ => None,
        }
    }
}

impl fmt::Display for ReportType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Input => "Input",
            Self::Output => "Output",
            Self::Feature => "Feature",
        })
    }
}

/// One data field of a report, with everything C records for it (its `HIDData_t`).
///
/// All numbers are what C computes, quirks included: `offset` and `size` wrap at 256 because C
/// keeps them in a byte, and every field of report id 0 has offset 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Usage nodes (`page << 16 | id`), outermost collection first, ending with the field's own
    /// usage. A collection whose data byte is 0x80 or more adds an index node `0x00ff00NN`.
    pub path: Vec<u32>,
    /// Input, Output or Feature.
    pub report_type: ReportType,
    /// The report id (0 when the descriptor declares none).
    pub report_id: u8,
    /// Bit offset of the field after the report id byte.
    pub offset: u32,
    /// Size in bits.
    pub size: u32,
    /// Logical minimum (sign-extended from its item size).
    pub logical_min: i64,
    /// Logical maximum (sign-extended, or unsigned when that would fall below the minimum).
    pub logical_max: i64,
    /// Physical minimum, meaningful when `have_physical_min`.
    pub physical_min: i64,
    /// Physical maximum, meaningful when `have_physical_max`.
    pub physical_max: i64,
    /// Whether a Physical Minimum item was seen before this field.
    pub have_physical_min: bool,
    /// Whether a Physical Maximum item was seen before this field.
    pub have_physical_max: bool,
    /// The HID unit code.
    pub unit: u32,
    /// The unit exponent, as C decodes it (a low nibble above 7 is negative).
    pub unit_exponent: i8,
    /// The main item's data bits (bit 0 constant, bit 1 variable, bit 2 relative, …), one byte.
    pub attributes: u32,
    /// Usage nodes that C's fixed path buffer still held beyond `path` when the field was
    /// recorded (left by earlier, deeper paths). C's `FindObject_with_Path` compares them when it
    /// is asked for a path longer than the field's, so [`ReportDescriptor::find`] does too.
    pub stale_nodes: Vec<u32>,
}

impl Field {
    /// The main item data bit "constant" alone, which C treats as "not settable".
    pub fn is_constant(&self) -> bool {
        self.attributes == 1
    }
}

/// Why a report descriptor cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    /// Longer than [`MAX_DESCRIPTOR_LEN`]; C's USB layer skips such a device.
    #[error("report descriptor of {len} bytes is longer than the 6144 bytes C NUT accepts")]
    TooLong {
        /// The descriptor length.
        len: usize,
    },
    /// No field with a usage: C's parser returns nothing and the driver gives up.
    #[error("report descriptor declares no usable field")]
    NoFields,
    /// A path deeper than [`MAX_PATH_DEPTH`] nodes (C would write past its path buffer).
    #[error("HID path deeper than 10 nodes at descriptor offset {offset}")]
    PathTooDeep {
        /// Byte offset just after the item that overflowed.
        offset: usize,
    },
    /// An End Collection without its Collection, followed by more items (C would write its path
    /// over its own report offset table).
    #[error("unbalanced End Collection before descriptor offset {offset}")]
    UnbalancedCollection {
        /// Byte offset just after the item that used the broken path.
        offset: usize,
    },
    /// More than 50 usages before one main item (C would overwrite its usage counter).
    #[error("more than 50 usages for one main item at descriptor offset {offset}")]
    TooManyUsages {
        /// Byte offset just after the usage item.
        offset: usize,
    },
    /// More than 500 distinct (report id, type) pairs (C would dereference a null pointer).
    #[error("more than 500 distinct reports at descriptor offset {offset}")]
    TooManyReports {
        /// Byte offset just after the main item.
        offset: usize,
    },
}

/// A parsed HID report descriptor, as C NUT 2.8.0's `Parse_ReportDesc` builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDescriptor {
    /// The fields in descriptor order (C's item list and `HIDDumpTree` order). Subdrivers may
    /// fix them up in place.
    pub fields: Vec<Field>,
    /// C's `replen`: bytes per report id (without the id byte), over every parsed field.
    lengths: Box<[usize; 256]>,
    /// Whether C's limit of [`MAX_FIELDS`] fields cut the descriptor short.
    truncated: bool,
}

impl ReportDescriptor {
    /// Parses a descriptor exactly as C does. Never panics.
    pub fn parse(bytes: &[u8]) -> Result<Self, DescriptorError> {
        if bytes.len() > MAX_DESCRIPTOR_LEN {
            return Err(DescriptorError::TooLong { len: bytes.len() });
        }
        let parsed = parser::parse(bytes)?;
        if parsed.fields.is_empty() {
            return Err(DescriptorError::NoFields);
        }
        Ok(Self {
            fields: parsed.fields,
            lengths: parsed.lengths,
            truncated: parsed.truncated,
        })
    }

    /// Whether the descriptor had more than [`MAX_FIELDS`] fields, of which C keeps the first.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The buffer size C uses for GET_REPORT / SET_REPORT of report `id`: the data bytes C
    /// computed for that id plus the id byte (C adds it even for id 0). C keeps one buffer per
    /// id whatever the type, so `_ty` does not change the answer. Zero when no field uses `id`.
    pub fn report_len(&self, id: u8, _ty: ReportType) -> usize {
        if self.fields.iter().any(|f| f.report_id == id) {
            self.lengths[usize::from(id)] + 1
        } else {
            0
        }
    }

    /// The data bytes (without id byte) C computed for report `id`, whether or not a kept field
    /// uses it.
    pub fn data_len(&self, id: u8) -> usize {
        self.lengths[usize::from(id)]
    }

    /// Every (report id, type) that has a field, sorted, with [`report_len`](Self::report_len).
    pub fn report_ids(&self) -> Vec<(u8, ReportType, usize)> {
        let mut ids: Vec<(u8, ReportType)> = self
            .fields
            .iter()
            .map(|f| (f.report_id, f.report_type))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|(id, ty)| (id, ty, self.report_len(id, ty)))
            .collect()
    }

    /// The first field of type `ty` (any type when `None`) whose path starts with `path`, as
    /// C's `FindObject_with_Path` matches: only the query's nodes are compared, so a shorter
    /// query matches a deeper field, and a longer one is compared against the nodes C's buffer
    /// still held beyond the field's path. A query deeper than [`MAX_PATH_DEPTH`] never matches.
    pub fn find(&self, path: &[u32], ty: Option<ReportType>) -> Option<&Field> {
        self.position(path, ty).map(|i| &self.fields[i])
    }

    /// Like [`find`](Self::find), giving the field's index in [`fields`](Self::fields).
    pub fn position(&self, path: &[u32], ty: Option<ReportType>) -> Option<usize> {
        if path.len() > MAX_PATH_DEPTH {
            return None;
        }
        self.fields.iter().position(|field| {
            if ty.is_some_and(|t| t != field.report_type) {
                return false;
            }
            path.iter().enumerate().all(|(i, node)| {
                let held = if i < field.path.len() {
                    field.path.get(i)
                } else {
                    field.stale_nodes.get(i - field.path.len())
                };
                held.copied().unwrap_or(0) == *node
            })
        })
    }

    /// The first field of report `id` whose last path node is `node` (C's
    /// `FindObject_with_ID_Node`).
    pub fn find_by_id_node(&self, id: u8, node: u32) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.report_id == id && f.path.last() == Some(&node))
    }

    /// The first field with this report id, bit offset and type (C's `FindObject_with_ID`).
    pub fn find_by_id_offset(&self, id: u8, offset: u32, ty: ReportType) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.report_id == id && f.offset == offset && f.report_type == ty)
    }
}
