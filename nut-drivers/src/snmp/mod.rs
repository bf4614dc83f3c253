//! SNMP-managed UPS, PDU and ATS devices: C NUT's `snmp-ups` (feature `snmp`).
//!
//! - [`pdu`]: protocol data units and the [`pdu::Security`] seam (sans-IO);
//! - [`usm`]: the SNMPv3 User-based Security Model, a [`pdu::Security`] (sans-IO);
//! - [`mib`]: how a MIB maps onto NUT variables, and [`mibs`]: every mapping C NUT 2.8.0 has.

pub mod mib;
pub mod mibs;
pub mod pdu;
pub mod usm;
