// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <shakeoff/guard_abi.h> /* SHAKEOFF_PIN_ROOT */

#include "core/pins.h"
#include "core/sysenv.h"

int pin_dir_path(const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", SHAKEOFF_PIN_ROOT, ifname);

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
	/* The shared root goes too once the last interface is gone. */
	rmdir(SHAKEOFF_PIN_ROOT);
}
