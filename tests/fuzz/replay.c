/*
 * replay.c - runs a fuzz target without libFuzzer, for `make fuzz-replay`.
 *
 *   fuzz_X DIR|FILE...
 *
 * Every regular file of each directory (in sorted order, not recursive)
 * and every file named is read into a buffer of exactly its size (so that
 * AddressSanitizer sees any read past the end) and handed to
 * LLVMFuzzerTestOneInput().  Prints "fuzz-replay <target>: N inputs ok",
 * <target> being the last directory's name.  A crash is the failure; an
 * unreadable or empty corpus also fails (exit 1), so a lost corpus cannot
 * pass silently.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, size_t *count)
{
	struct stat sb;
	uint8_t *buf;
	FILE *f;
	size_t n;

	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0; /* directories, sockets...: not inputs */
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = (size_t)sb.st_size;
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		fprintf(stderr, "fuzz-replay: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	(*count)++;
	return 0;
}

static int run_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	int rc = 0;

	if (n < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (names[i]->d_name[0] != '.' && rc == 0) {
			if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) >=
			    sizeof path)
				rc = -1;
			else
				rc = run_file(path, count);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static const char *target_name(const char *path, char *out, size_t outlen)
{
	size_t end = strlen(path), start;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	snprintf(out, outlen, "%.*s", (int)(end - start), path + start);
	return out;
}

int main(int argc, char **argv)
{
	char name[256] = "?";
	size_t count = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat sb;

		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(sb.st_mode)) {
			target_name(argv[i], name, sizeof name);
			if (run_dir(argv[i], &count) != 0)
				return 1;
		} else if (run_file(argv[i], &count) != 0) {
			return 1;
		}
	}
	if (count == 0) {
		fprintf(stderr, "fuzz-replay %s: no inputs\n", name);
		return 1;
	}
	printf("fuzz-replay %s: %zu inputs ok\n", name, count);
	return 0;
}
