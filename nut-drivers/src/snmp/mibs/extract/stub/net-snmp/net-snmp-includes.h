/* nut-rs extractor: stands in for net-snmp's headers. snmp-ups.h only names these types in
 * prototypes and needs uint32_t; the mapping tables use neither. */
#ifndef NUT_RS_EXTRACT_NET_SNMP_INCLUDES_H
#define NUT_RS_EXTRACT_NET_SNMP_INCLUDES_H
#include <stdint.h>
struct snmp_session;
struct snmp_pdu;
#endif
