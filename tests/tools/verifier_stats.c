// SPDX-License-Identifier: GPL-2.0
/*
 * verifier_stats: load BPF objects and print, per program, the verifier's
 * processed-instruction count and the translated size. Used to compare a
 * change's effect on every program (`make verifier-stats`).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SIZE (16u << 20)

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static long processed_insns(const char *log)
{
	const char *p = strstr(log, "processed ");

	return p ? strtol(p + strlen("processed "), NULL, 10) : -1;
}

static int report(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	char *logs[64] = { 0 };
	int n = 0, err;

	if (!obj) {
		fprintf(stderr, "verifier_stats: %s: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (n == 64)
			break;
		logs[n] = calloc(1, LOG_SIZE);
		if (!logs[n])
			return 1;
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE);
		bpf_program__set_log_level(prog, 4);
		n++;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "verifier_stats: %s: load: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		return 1;
	}
	n = 0;
	bpf_object__for_each_program(prog, obj)
	{
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (n == 64)
			break;
		bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
		printf("%-12s %-24s processed %7ld  xlated %6u bytes\n", bpf_object__name(obj),
		       bpf_program__name(prog), processed_insns(logs[n]), info.xlated_prog_len);
		free(logs[n++]);
	}
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: verifier_stats OBJ.bpf.o...\n");
		return 2;
	}
	libbpf_set_print(silent);
	for (int i = 1; i < argc; i++)
		rc |= report(argv[i]);
	return rc;
}
