package io.hexgate.observer.export;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * A file that is moved aside when the next line would take it past its size, the way Hubble's exporter
 * (lumberjack) does it: {@code events.log} becomes {@code events-2024-05-01T10-00-00.000.log} (UTC),
 * gzipped to {@code ....log.gz} when asked, and only the newest {@code maxBackups} backups are kept
 * (0 keeps all). An existing file is appended to.
 */
final class RotatingFile implements LineSink {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss.SSS").withZone(ZoneOffset.UTC);

  private final Path file;
  private final long maxBytes;
  private final int maxBackups;
  private final boolean compress;
  private final Clock clock;
  private final String stem;
  private final String extension;
  private OutputStream out;
  private long size;

  RotatingFile(Path file, long maxBytes, int maxBackups, boolean compress, Clock clock) throws IOException {
    this.file = file.toAbsolutePath();
    this.maxBytes = maxBytes;
    this.maxBackups = maxBackups;
    this.compress = compress;
    this.clock = clock;
    String name = this.file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    this.stem = dot > 0 ? name.substring(0, dot) : name;
    this.extension = dot > 0 ? name.substring(dot) : "";
    Files.createDirectories(this.file.getParent());
    open();
  }

  private void open() throws IOException {
    out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND), 1 << 16);
    size = Files.size(file);
  }

  @Override
  public void write(String line) throws IOException {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    // a line longer than the limit still gets written, alone in its file, rather than lost
    if (size > 0 && size + bytes.length > maxBytes) {
      rotate();
    }
    out.write(bytes);
    size += bytes.length;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private void rotate() throws IOException {
    out.close();
    Path backup = freeBackupName(clock.instant());
    Files.move(file, backup);
    if (compress) {
      gzip(backup);
    }
    prune();
    open();
  }

  private Path freeBackupName(Instant now) {
    Instant stamp = now;
    while (true) {
      Path candidate = file.resolveSibling(stem + "-" + STAMP.format(stamp) + extension);
      if (!Files.exists(candidate) && !Files.exists(candidate.resolveSibling(candidate.getFileName() + ".gz"))) {
        return candidate;
      }
      stamp = stamp.plusMillis(1); // two rotations within a millisecond must not overwrite each other
    }
  }

  private static void gzip(Path plain) throws IOException {
    Path gz = plain.resolveSibling(plain.getFileName() + ".gz");
    try (InputStream in = Files.newInputStream(plain);
        OutputStream zipped = new GZIPOutputStream(Files.newOutputStream(gz), 1 << 16)) {
      in.transferTo(zipped);
    }
    Files.delete(plain);
  }

  private void prune() throws IOException {
    if (maxBackups <= 0) {
      return;
    }
    List<Backup> backups = backups();
    backups.sort(Comparator.comparing(Backup::stamp).reversed());
    for (Backup old : backups.subList(Math.min(maxBackups, backups.size()), backups.size())) {
      Files.deleteIfExists(old.path);
    }
  }

  /** The backups of this file, newest or not, compressed or not. */
  List<Backup> backups() throws IOException {
    List<Backup> backups = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(file.getParent(), stem + "-*")) {
      for (Path p : dir) {
        String name = p.getFileName().toString();
        String rest = name.substring(stem.length() + 1);
        String stamp = rest.endsWith(extension + ".gz") ? rest.substring(0, rest.length() - extension.length() - 3)
            : rest.endsWith(extension) ? rest.substring(0, rest.length() - extension.length()) : null;
        if (stamp == null) {
          continue;
        }
        try {
          backups.add(new Backup(p, Instant.from(STAMP.parse(stamp))));
        } catch (DateTimeParseException e) {
          // another file that happens to share the prefix: not ours to delete
        }
      }
    }
    return backups;
  }

  record Backup(Path path, Instant stamp) {}
}
