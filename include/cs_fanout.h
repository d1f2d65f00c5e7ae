/* TEMPORARY stub: replaced by the fanout branch */
#ifndef CS_FANOUT_H
#define CS_FANOUT_H
#include "cs_common.h"
enum cs_status fanout_join(int fd, uint16_t group_id, unsigned nworkers, char *err, size_t errlen);
uint16_t fanout_group_id(void);
#endif
