//! Every MIB mapping C NUT 2.8.0's `snmp-ups` has, as [`Mapping`] data.
//!
//! One module per C mapping file (`apc` from `apc-mib.c`, `ietf` from `ietf-mib.c`, …), each
//! generated from C's compiled tables by the extractor in `extract/` (see its `README.md`):
//! they are not edited by hand but regenerated. C's lookup shared by several files
//! (`su_convert_to_iso_date_info`) is in [`snmp_ups_helpers`], as in C.
//!
//! [`ALL`] lists the mappings in the order of C's `mib2nut[]`, the order C tries them in.
//! Names are C's `mibs=` names; the three APC PDU mappings share the name `apc_pdu` (and their
//! items) and differ only in their sysOID, as in C.

use super::mib::Mapping;

pub mod apc;
pub mod apc_ats;
pub mod apc_pdu;
pub mod baytech;
pub mod bestpower;
pub mod compaq;
pub mod cyberpower;
pub mod delta_ups;
pub mod eaton_ats16_nm2;
pub mod eaton_ats16_nmc;
pub mod eaton_ats30;
pub mod eaton_pdu_genesis2;
pub mod eaton_pdu_marlin;
pub mod eaton_pdu_pulizzi;
pub mod eaton_pdu_revelation;
pub mod emerson_avocent_pdu;
pub mod hpe_pdu;
pub mod huawei;
pub mod ietf;
pub mod mge;
pub mod netvision;
pub mod powerware;
pub mod raritan_pdu;
pub mod raritan_px2;
pub mod snmp_ups_helpers;
pub mod xppc;

#[cfg(test)]
mod counts;
#[cfg(test)]
mod tests;

/// Every mapping, in the order of C's `mib2nut[]` (vendor mappings first, then
/// `tripplite` and `ietf`, so that a vendor's MIB wins when a device answers both).
pub static ALL: &[&Mapping] = &[
    &apc_ats::APC_ATS,
    &apc_pdu::APC_PDU_RPDU,
    &apc_pdu::APC_PDU_RPDU2,
    &apc_pdu::APC_PDU_MSP,
    &apc::APC,
    &baytech::BAYTECH,
    &bestpower::BESTPOWER,
    &compaq::COMPAQ,
    &cyberpower::CYBERPOWER,
    &delta_ups::DELTA_UPS,
    &eaton_ats16_nmc::EATON_ATS16_NMC,
    &eaton_ats16_nm2::EATON_ATS16_NM2,
    &eaton_ats30::EATON_ATS30,
    &eaton_pdu_marlin::EATON_MARLIN,
    &emerson_avocent_pdu::EMERSON_AVOCENT_PDU,
    &eaton_pdu_revelation::APHEL_REVELATION,
    &eaton_pdu_genesis2::APHEL_GENESISII,
    &eaton_pdu_pulizzi::PULIZZI_SWITCHED1,
    &eaton_pdu_pulizzi::PULIZZI_SWITCHED2,
    &hpe_pdu::HPE_PDU,
    &huawei::HUAWEI,
    &mge::MGE,
    &netvision::NETVISION,
    &powerware::POWERWARE,
    &powerware::PXGX_UPS,
    &raritan_pdu::RARITAN,
    &raritan_px2::RARITAN_PX2,
    &xppc::XPPC,
    &ietf::TRIPPLITE_IETF,
    &ietf::IETF,
];

/// The mapping that `mibs=name` selects: the first of [`ALL`] with that name, as C's
/// `load_mib2nut` walks `mib2nut[]` (for `apc_pdu`, the first of the three that share it).
pub fn by_name(name: &str) -> Option<&'static Mapping> {
    ALL.iter().copied().find(|m| m.name == name)
}
