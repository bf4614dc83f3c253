//! SNMP-managed UPS, PDU and ATS devices: C NUT's `snmp-ups` (feature `snmp`).
//!
//! - [`pdu`]: protocol data units and the [`pdu::Security`] seam (sans-IO);
//! - [`community`]: SNMPv1 and SNMPv2c messages; [`usm`]: the SNMPv3 User-based Security
//!   Model (both [`pdu::Security`]s, sans-IO); [`client`]: the request loop over UDP;
//! - [`mib`]: how a MIB maps onto NUT variables, and [`mibs`]: every mapping C NUT 2.8.0 has;
//! - [`driver`]: the `snmp-ups` driver;
//! - [`snmprec`] and [`agent`]: an agent in process serving snmpsim recordings.

pub mod agent;
pub mod client;
pub mod community;
mod convert;
pub mod driver;
pub mod mib;
pub mod mibs;
pub mod pdu;
pub mod snmprec;
pub mod usm;
