/* nut-rs extractor: stands in for net-snmp's header, which the mapping tables do not use. */
