/*
 * clientkey.c - the client-address key file (cs_clientkey.h).  Owns
 * nothing past a call.  The key never leaves the caller's buffer: no
 * message, file or report other than the key file holds it.
 */
#include "cs_clientkey.h"
#include "cs_codec.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_HEX (2 * CS_CLIENT_KEY_LEN)

bool clientkey_random(uint8_t key[CS_CLIENT_KEY_LEN])
{
	/* flags 0: blocks only until the kernel's pool is first initialised */
	return getrandom(key, CS_CLIENT_KEY_LEN, 0) == (ssize_t)CS_CLIENT_KEY_LEN;
}

void clientkey_id(const uint8_t key[CS_CLIENT_KEY_LEN], char id[CS_CLIENT_KEY_ID_LEN])
{
	static const char label[] = "chainsniff key id";
	uint8_t buf[sizeof(label) - 1 + CS_CLIENT_KEY_LEN], md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	memcpy(buf, label, sizeof(label) - 1);
	memcpy(buf + sizeof(label) - 1, key, CS_CLIENT_KEY_LEN);
	if (!EVP_Digest(buf, sizeof(buf), md, &n, EVP_sha256(), NULL) || n < 8)
		memset(md, 0, 8); /* libcrypto out of memory: an id that matches no real key's */
	hex_lower(md, 8, id);
	OPENSSL_cleanse(buf, sizeof(buf));
}

bool clientkey_id_valid(const char *s, size_t n)
{
	uint8_t b[8];

	if (n == strlen(CS_CLIENT_KEY_LEGACY) && !memcmp(s, CS_CLIENT_KEY_LEGACY, n))
		return true;
	return hex_parse_lower(s, n, b, sizeof(b));
}

bool clientkey_default_path(const char *state_path, char *buf, size_t len)
{
	const char *slash = strrchr(state_path, '/');
	int n = slash ? snprintf(buf, len, "%.*s/%s", (int)(slash - state_path), state_path,
				 CS_CLIENT_KEY_FILE)
		      : snprintf(buf, len, "%s", CS_CLIENT_KEY_FILE);

	return n >= 0 && (size_t)n < len;
}

/* The key in an open key file: refused when others may use it, or when it
 * is anything but 32 lowercase hex digits and an optional newline. */
static enum cs_status read_key(int fd, const char *path, uint8_t key[CS_CLIENT_KEY_LEN], char *err,
			       size_t errlen)
{
	char text[KEY_HEX + 2];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return CS_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return CS_BAD;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "%s: the client key is open to others (mode %04o): chmod 600 %s", path,
			 (unsigned)(st.st_mode & 07777), path);
		return CS_BAD;
	}
	n = read(fd, text, sizeof(text));
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return CS_IO;
	}
	if (n == KEY_HEX + 1 && text[KEY_HEX] == '\n')
		n = KEY_HEX;
	if (n != KEY_HEX || !hex_parse_lower(text, KEY_HEX, key, CS_CLIENT_KEY_LEN)) {
		OPENSSL_cleanse(text, sizeof(text));
		snprintf(err, errlen, "%s: not a chainsniff client key (32 lowercase hex digits)",
			 path);
		return CS_BAD;
	}
	OPENSSL_cleanse(text, sizeof(text));
	return CS_OK;
}

/* The key in the file an open() just gave as fd, or why that open failed
 * (errno is still its answer); fd is closed. */
static enum cs_status read_opened_key(int fd, const char *path, uint8_t key[CS_CLIENT_KEY_LEN],
				      char *err, size_t errlen)
{
	enum cs_status st;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return CS_IO;
	}
	st = read_key(fd, path, key, err, errlen);
	close(fd);
	return st;
}

/* The new name survives a power cut once its directory is fsync'ed (a
 * file system that refuses it still has the file). */
static void sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int n = slash ? snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
				 path)
		      : snprintf(dir, sizeof(dir), ".");
	int fd = n >= 0 && (size_t)n < sizeof(dir) ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
						   : -1;

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Write a fresh key to a temporary file beside path and link it to path.
 * CS_OK: created; CS_EOF: path appeared meanwhile (read it instead). */
static enum cs_status create_key(const char *path, uint8_t key[CS_CLIENT_KEY_LEN], char *err,
				 size_t errlen)
{
	char tmp[4096], text[KEY_HEX + 2];
	const char *slash = strrchr(path, '/');
	int fd, n = slash ? snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path,
				     slash + 1)
			  : snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	enum cs_status st = CS_OK;

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return CS_IO;
	}
	if (!clientkey_random(key)) {
		snprintf(err, errlen, "%s: no randomness from the kernel: %s", path,
			 strerror(errno));
		return CS_IO;
	}
	if ((fd = mkstemp(tmp)) < 0) { /* O_EXCL, mode 0600 */
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return CS_IO;
	}
	hex_lower(key, CS_CLIENT_KEY_LEN, text);
	text[KEY_HEX] = '\n';
	if (fchmod(fd, 0600) != 0 || write(fd, text, KEY_HEX + 1) != KEY_HEX + 1 ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		st = CS_IO;
	} else if (link(tmp, path) != 0) {
		if (errno == EEXIST) {
			st = CS_EOF;
		} else {
			snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
			st = CS_IO;
		}
	}
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	unlink(tmp);
	if (st == CS_OK)
		sync_dir(path);
	return st;
}

enum cs_status clientkey_read(const char *path, uint8_t key[CS_CLIENT_KEY_LEN], char *err,
			      size_t errlen)
{
	return read_opened_key(open(path, O_RDONLY | O_CLOEXEC), path, key, err, errlen);
}

enum cs_status clientkey_load(const char *path, uint8_t key[CS_CLIENT_KEY_LEN], bool *created,
			      char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum cs_status st;

	*created = false;
	if (fd < 0 && errno == ENOENT) {
		st = create_key(path, key, err, errlen);
		if (st == CS_OK) {
			*created = true;
			return CS_OK;
		}
		if (st != CS_EOF)
			return st;
		fd = open(path, O_RDONLY | O_CLOEXEC); /* another process created it first */
	}
	return read_opened_key(fd, path, key, err, errlen);
}
