// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <shakeoff/guard_abi.h> /* SHAKEOFF_PIN_ROOT */

#include "core/pins.h"
#include "core/sysenv.h"

int netns_ino(unsigned long long *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	*ino = (unsigned long long)st.st_ino;
	return 0;
}

int pin_dir_path(const char *ifname, char *buf, size_t len)
{
	unsigned long long ino = 0;
	int n, err = netns_ino(&ino);

	if (err)
		return err;
	n = snprintf(buf, len, "%s/%llu/%s", SHAKEOFF_PIN_ROOT, ino, ifname);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_dir_prepare(const char *ifname, char *buf, size_t len)
{
	int err = bpffs_ensure();

	if (!err)
		err = pin_dir_path(ifname, buf, len);
	if (err)
		return err;
	pin_dir_remove(buf);
	return mkdir_p(buf);
}

void pin_dir_remove(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);
	char *slash;

	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	/* The namespace's directory, then the shared root, go once the last interface is gone. */
	snprintf(path, sizeof(path), "%s", dir);
	slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		if (strcmp(path, SHAKEOFF_PIN_ROOT))
			rmdir(path);
	}
	rmdir(SHAKEOFF_PIN_ROOT);
}
