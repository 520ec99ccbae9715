package io.hexgate.lab.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An image's {@code User} ("", "uid", "uid:gid", "name", "name:group") as numbers, names looked up in the image's /etc files. */
final class ImageUser {
  private ImageUser() {}

  static long[] resolve(String user, Path rootfs) throws IOException {
    if (user == null || user.isEmpty()) {
      return new long[] {0, 0};
    }
    String[] parts = user.split(":", 2);
    long uid;
    long gid;
    if (parts[0].matches("\\d+")) {
      uid = Long.parseLong(parts[0]);
      gid = lookup(rootfs.resolve("etc/passwd"), null, uid, 3);
    } else {
      uid = lookup(rootfs.resolve("etc/passwd"), parts[0], -1, 2);
      gid = lookup(rootfs.resolve("etc/passwd"), parts[0], -1, 3);
    }
    if (parts.length == 2) {
      gid = parts[1].matches("\\d+") ? Long.parseLong(parts[1]) : lookup(rootfs.resolve("etc/group"), parts[1], -1, 2);
    }
    return new long[] {uid, Math.max(gid, 0)};
  }

  /** Field {@code field} of the line of {@code file} named {@code name} (or whose uid is {@code uid}); -1 (gid 0) when none. */
  private static long lookup(Path file, String name, long uid, int field) throws IOException {
    if (!Files.isRegularFile(file)) {
      if (name != null) {
        throw new IllegalStateException("unable to find user " + name + ": the image has no " + file.getFileName());
      }
      return 0;
    }
    for (String line : Files.readAllLines(file)) {
      String[] f = line.split(":");
      if (f.length > field && (name != null ? f[0].equals(name) : f.length > 2 && f[2].equals(Long.toString(uid)))) {
        return Long.parseLong(f[field]);
      }
    }
    if (name != null) {
      throw new IllegalStateException("unable to find user or group " + name + " in the image's " + file.getFileName());
    }
    return 0;
  }
}
