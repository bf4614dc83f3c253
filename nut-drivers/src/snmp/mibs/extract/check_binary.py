#!/usr/bin/env python3
"""Checks the generated tables against the tables inside a built C `snmp-ups` binary.

Usage: check_binary.py SNMP_UPS_BINARY [COUNTS_RS]

Reads the binary's memory image (x86-64 ELF, PIE or not, stripped or not: its PT_LOAD
segments with the R_X86_64_RELATIVE relocations applied), finds C's `mib2nut[]` by the
mapping names that `counts.rs` lists, walks every mapping as C's driver does and hashes it
in the canonical form of `extract.c` and `tests.rs`. Each mapping's hash must equal the
fingerprint that the extractor wrote into `counts.rs`.

A stripped binary has no function names: the four hooks are told apart by the items that
use them (`battery.date`, `*.temperature.unit`, `*.temperature`, and the one lookup
function in the `nuf_s2l` slot), and the script checks that each function address always
gets the same hook. A lookup without a closing row (`OPEN_LOOKUPS` in `counts.rs`) is
hashed as far as C's array goes; what a C loop that stops only at a NULL text would read
past its end in this binary is printed.
"""

import re
import struct
import sys

ET_DYN = 3
PT_LOAD = 1
SHT_RELA = 4
R_X86_64_RELATIVE = 8


class Image:
    def __init__(self, path):
        data = open(path, "rb").read()
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not a 64-bit little-endian ELF file")
        (e_machine,) = struct.unpack_from("<H", data, 18)
        if e_machine != 62:
            sys.exit(f"{path}: not x86-64")
        (e_type,) = struct.unpack_from("<H", data, 16)
        self.pie = e_type == ET_DYN
        e_phoff, e_shoff = struct.unpack_from("<QQ", data, 32)
        e_phentsize, e_phnum, e_shentsize, e_shnum = struct.unpack_from("<HHHH", data, 54)
        self.segs = []
        for i in range(e_phnum):
            p_type, _, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
                "<IIQQQQQQ", data, e_phoff + i * e_phentsize
            )
            if p_type == PT_LOAD:
                mem = bytearray(data[p_offset : p_offset + p_filesz])
                mem.extend(b"\0" * (p_memsz - p_filesz))
                self.segs.append((p_vaddr, mem))
        relocs = 0
        self.relocated = set()  # addresses that hold a pointer at run time
        for i in range(e_shnum):
            sh = struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
            sh_type, sh_offset, sh_size, sh_entsize = sh[1], sh[4], sh[5], sh[9]
            if sh_type != SHT_RELA:
                continue
            for off in range(sh_offset, sh_offset + sh_size, sh_entsize or 24):
                r_offset, r_info, r_addend = struct.unpack_from("<QQq", data, off)
                if r_info & 0xFFFFFFFF == R_X86_64_RELATIVE:
                    self.write_u64(r_offset, r_addend)
                    self.relocated.add(r_offset)
                    relocs += 1
        self.relocs = relocs

    def locate(self, addr, n):
        for base, mem in self.segs:
            if base <= addr and addr + n <= base + len(mem):
                return mem, addr - base
        raise ValueError(f"address {addr:#x} is not in the image")

    def write_u64(self, addr, v):
        mem, off = self.locate(addr, 8)
        struct.pack_into("<Q", mem, off, v & 0xFFFFFFFFFFFFFFFF)

    def u64(self, addr):
        mem, off = self.locate(addr, 8)
        return struct.unpack_from("<Q", mem, off)[0]

    def u32(self, addr):
        mem, off = self.locate(addr, 4)
        return struct.unpack_from("<I", mem, off)[0]

    def i32(self, addr):
        mem, off = self.locate(addr, 4)
        return struct.unpack_from("<i", mem, off)[0]

    def cstr(self, addr):
        if addr == 0:
            return None
        mem, off = self.locate(addr, 1)
        end = mem.index(b"\0", off)
        return bytes(mem[off:end]).decode("ascii")

    def find_cstr(self, s):
        needle = b"\0" + s.encode("ascii") + b"\0"
        hits = []
        for base, mem in self.segs:
            i = mem.find(needle)
            while i >= 0:
                hits.append(base + i + 1)
                i = mem.find(needle, i + 1)
        return hits

    def find_u64(self, v):
        needle = struct.pack("<Q", v)
        hits = []
        for base, mem in self.segs:
            i = mem.find(needle)
            while i >= 0:
                if (base + i) % 8 == 0:
                    hits.append(base + i)
                i = mem.find(needle, i + 1)
        return hits


class Fnv:
    def __init__(self):
        self.h = 0xCBF29CE484222325

    def bytes(self, b):
        h = self.h
        for x in b:
            h ^= x
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        self.h = h

    def u8(self, v):
        self.bytes(bytes([v]))

    def u32(self, v):
        self.bytes(struct.pack("<I", v & 0xFFFFFFFF))

    def u64(self, v):
        self.bytes(struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF))

    def str(self, s):
        if s is None:
            self.u8(0)
        else:
            b = s.encode("ascii")
            self.u8(1)
            self.u64(len(b))
            self.bytes(b)


# x86-64 layouts of C's types (snmp-ups.h with WITH_SNMP_LKP_FUN)
M2N_SIZE, ITEM_SIZE, LKP_SIZE, ALARM_SIZE = 56, 56, 32, 24
MAX_LOOKUP_ROWS = 256


def lookup_rows(img, addr, limit=None):
    """The rows before the first NULL text (at most `limit`); a text field that holds no
    pointer at run time (no relocation there, in a PIE) ends the list with a marker row."""
    rows = []
    while limit is None or len(rows) < limit:
        text = img.u64(addr + 8)
        if text == 0:
            break
        try:
            if img.pie and addr + 8 not in img.relocated:
                raise ValueError
            s = img.cstr(text)
        except (ValueError, UnicodeDecodeError):
            rows.append((img.i32(addr), f"<no string: {text:#x}, C would crash or read garbage>", 0, 0))
            break
        rows.append((img.i32(addr), s, img.u64(addr + 16), img.u64(addr + 24)))
        addr += LKP_SIZE
        if len(rows) > MAX_LOOKUP_ROWS:
            sys.exit(f"lookup at {addr:#x}: no end in {MAX_LOOKUP_ROWS} rows")
    return rows


def items(img, addr):
    out = []
    while img.u64(addr) != 0:
        (len_,) = struct.unpack("<d", struct.pack("<Q", img.u64(addr + 16)))
        out.append(
            {
                "name": img.cstr(img.u64(addr)),
                "var_flags": img.u32(addr + 8),
                "len_bits": img.u64(addr + 16),
                "len": len_,
                "oid": img.cstr(img.u64(addr + 24)),
                "dfl": img.cstr(img.u64(addr + 32)),
                "flags": img.u32(addr + 40),
                "lookup": img.u64(addr + 48),
            }
        )
        addr += ITEM_SIZE
    return out


def hook_for_item(name, slot):
    if slot == "nuf":
        return 4
    if name == "battery.date":
        return 1
    if name.endswith(".temperature.unit"):
        return 3
    if name.endswith(".temperature"):
        return 2
    return None


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    counts_rs = sys.argv[2] if len(sys.argv) == 3 else __file__.rsplit("/", 2)[0] + "/counts.rs"
    text = open(counts_rs).read()
    counted = re.findall(
        r'c_name: "([^"]*)",\s*name: "([^"]*)",.*?fingerprint: 0x([0-9a-f]+),', text, re.S
    )
    if not counted:
        sys.exit(f"{counts_rs}: no mappings")
    open_lookups = {
        (c, int(i)): int(n)
        for c, i, n in re.findall(r'\("([^"]*)", (\d+), (\d+)\)', text.split("OPEN_LOOKUPS")[1])
    }
    img = Image(sys.argv[1])
    print(f"{sys.argv[1]}: {img.relocs} relative relocations applied")

    # C's mib2nut[]: a NULL-terminated array of pointers to mapping structs, the first of
    # which is named like the first mapping of counts.rs.
    first = counted[0][1]
    arrays = []
    for s in img.find_cstr(first):
        for m2n in img.find_u64(s):
            for arr in img.find_u64(m2n):
                arrays.append(arr)
    found = None
    for arr in arrays:
        names = []
        try:
            a = arr
            while img.u64(a) != 0 and len(names) <= len(counted):
                names.append(img.cstr(img.u64(img.u64(a))))
                a += 8
        except (ValueError, UnicodeDecodeError):
            continue
        if names == [c[1] for c in counted]:
            found = arr
    if found is None:
        sys.exit("no mib2nut[] with the mappings of counts.rs in this binary")
    print(f"mib2nut[] at {found:#x}: {len(counted)} mappings, in counts.rs's order")

    hooks = {}  # function address -> hook code
    bad = 0
    for i, (c_name, name, fp_hex) in enumerate(counted):
        m = img.u64(found + 8 * i)
        f = [img.u64(m + 8 * k) for k in range(7)]
        h = Fnv()
        for k in (0, 1, 2, 3, 5):
            h.str(img.cstr(f[k]))
        its = items(img, f[4])
        h.u64(len(its))
        for idx, it in enumerate(its):
            h.str(it["name"])
            h.u32(it["var_flags"])
            h.u64(it["len_bits"])
            h.str(it["oid"])
            h.str(it["dfl"])
            h.u32(it["flags"])
            if it["lookup"] == 0:
                h.u8(0)
                continue
            limit = open_lookups.get((c_name, idx))
            rows = lookup_rows(img, it["lookup"], limit)
            if limit is not None:
                if len(rows) != limit:
                    sys.exit(f"{c_name}: {it['name']}: {len(rows)} rows, not {limit}")
                past = lookup_rows(img, it["lookup"] + limit * LKP_SIZE)
                print(f"     {c_name}: {it['name']}: C's lookup has no closing row; past its "
                      f"{limit} rows, a loop to a NULL text reads {len(past)} more here: {past}")
            h.u8(1)
            h.u64(len(rows))
            for value, rtext, fun, nuf in rows:
                code = 0
                if fun or nuf:
                    if fun and nuf:
                        sys.exit(f"{c_name}: {it['name']}: a row with both functions")
                    addr = fun or nuf
                    code = hook_for_item(it["name"], "nuf" if nuf else "fun")
                    if code is None:
                        sys.exit(f"{c_name}: {it['name']}: function {addr:#x} of unknown use")
                    if hooks.setdefault(addr, code) != code:
                        sys.exit(f"function {addr:#x} used as two hooks")
                h.u64(value)
                h.str(rtext)
                h.u8(code)
        alarms = []
        a = f[6]
        while a and img.u64(a) != 0:
            alarms.append([img.cstr(img.u64(a + 8 * k)) for k in range(3)])
            a += ALARM_SIZE
        h.u64(len(alarms))
        for al in alarms:
            for s in al:
                h.str(s)
        ok = h.h == int(fp_hex, 16)
        bad += not ok
        print(f"{'ok  ' if ok else 'DIFF'} {c_name} ({name}): {len(its)} items, {len(alarms)} alarms")
        if not ok:
            # show what the binary's lookups hold, to find the difference
            for it in its:
                if it["lookup"]:
                    rows = lookup_rows(img, it["lookup"])
                    print(f"       {it['name']}: lookup of {len(rows)} rows: {rows}")
    if len(set(hooks.values())) != len(hooks):
        sys.exit("two functions for one hook")
    print(f"{len(hooks)} hook functions; {bad} mapping(s) differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
