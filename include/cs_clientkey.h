/*
 * cs_clientkey.h - the per-installation key that client addresses are
 * hashed with before they are counted (cs_clientset.h) and saved (state
 * files, --format state).
 *
 * Why: a saved client set holds 64-bit keyed hashes of client addresses.
 * Under a key everyone knows (chainsniff before this change used the fixed
 * "chainsniff-hll-1"), each of the 2^32 IPv4 addresses can be hashed and
 * looked up, so the file is a list of addresses.  Under a random 128-bit
 * key kept apart from the files (never written into a state file or a
 * report) the hashes say nothing about the addresses without the key.
 *
 * The key file: 32 lowercase hex digits and a newline (16 bytes from
 * getrandom), mode 0600.  Created on first use: written to a temporary
 * file in the same directory (mkstemp: O_EXCL, 0600), fsync'ed, then
 * published with link(2), which fails if the name exists, so two sensors
 * starting at once end up with one key and nobody ever reads half a file.
 * A key file that others may read or write (any group/other bit) is
 * refused, as ssh refuses such private keys.
 *
 * The key id names a key without revealing it: the first 8 bytes of
 * SHA-256("chainsniff key id" || key), 16 hex digits.  State-style files
 * carry it ("client_key_id"); `chainsniff merge` refuses files of
 * different ids, and --state refuses a file written under another key.
 * Files written before keys existed carry none: their id is
 * CS_CLIENT_KEY_LEGACY.
 */
#ifndef CS_CLIENTKEY_H
#define CS_CLIENTKEY_H

#include "cs_common.h"

#define CS_CLIENT_KEY_LEN 16
#define CS_CLIENT_KEY_ID_LEN 17             /* 16 hex digits and the NUL */
#define CS_CLIENT_KEY_LEGACY "legacy-fixed" /* the id of files without one */
#define CS_CLIENT_KEY_FILE "client.key"     /* the default name, next to --state */

/* Read path's key, or create the file with a fresh random key when it
 * does not exist (*created tells).  CS_OK, or CS_IO/CS_BAD with err =
 * "PATH: reason" (unreadable, others may read it, not a key). */
enum cs_status clientkey_load(const char *path, uint8_t key[CS_CLIENT_KEY_LEN], bool *created,
			      char *err, size_t errlen);
/* Read path's key (no creation).  CS_OK, or CS_IO/CS_BAD with err. */
enum cs_status clientkey_read(const char *path, uint8_t key[CS_CLIENT_KEY_LEN], char *err,
			      size_t errlen);
/* A random key that is never saved (runs that save no client hashes).
 * false when the kernel gives no randomness. */
bool clientkey_random(uint8_t key[CS_CLIENT_KEY_LEN]);
/* The id of key (above) into id. */
void clientkey_id(const uint8_t key[CS_CLIENT_KEY_LEN], char id[CS_CLIENT_KEY_ID_LEN]);
/* "DIR/client.key" for a state file "DIR/NAME" ("client.key" without a
 * DIR) into buf; false when it does not fit. */
bool clientkey_default_path(const char *state_path, char *buf, size_t len);
/* Whether s (n bytes) is a key id as files carry it: 16 lowercase hex
 * digits or CS_CLIENT_KEY_LEGACY. */
bool clientkey_id_valid(const char *s, size_t n);

#endif
