package io.hexgate.observer.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-05-01T10:00:00Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  /** Ten lines of 10 bytes each ("line-NNNN\n"). */
  private static void writeLines(RotatingFile file, int from, int count) throws IOException {
    for (int i = from; i < from + count; i++) {
      file.write(String.format("line-%04d", i));
    }
  }

  private List<String> backupLines(RotatingFile file) throws IOException {
    List<String> lines = new ArrayList<>();
    List<RotatingFile.Backup> backups = file.backups();
    backups.sort(Comparator.comparing(RotatingFile.Backup::stamp));
    for (RotatingFile.Backup b : backups) {
      try (InputStream in = b.path().toString().endsWith(".gz")
          ? new GZIPInputStream(Files.newInputStream(b.path())) : Files.newInputStream(b.path())) {
        lines.addAll(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
      }
    }
    return lines;
  }

  @Test
  void shouldMoveTheFileAsideBeforeItOutgrowsItsSizeAndKeepTheNewestBackups() throws IOException {
    Path log = dir.resolve("events.log");
    RotatingFile file = new RotatingFile(log, 30, 2, false, CLOCK);
    writeLines(file, 0, 10);
    file.close();

    assertThat(Files.readAllLines(log)).containsExactly("line-0009");
    List<RotatingFile.Backup> backups = file.backups();
    assertThat(backups).hasSize(2);
    assertThat(backups).allSatisfy(b -> assertThat(b.path().getFileName().toString()).matches(
        "events-2024-05-01T10-00-00\\.00[0-9]\\.log"));
    assertThat(backupLines(file)).containsExactly("line-0003", "line-0004", "line-0005", "line-0006", "line-0007", "line-0008");
  }

  @Test
  void shouldGzipBackupsWhenAskedTo() throws IOException {
    Path log = dir.resolve("events.log");
    RotatingFile file = new RotatingFile(log, 20, 3, true, CLOCK);
    writeLines(file, 0, 5);
    file.close();

    assertThat(file.backups()).hasSize(2).allSatisfy(b -> assertThat(b.path().toString()).endsWith(".log.gz"));
    assertThat(backupLines(file)).containsExactly("line-0000", "line-0001", "line-0002", "line-0003");
    assertThat(Files.readAllLines(log)).containsExactly("line-0004");
  }

  @Test
  void shouldAppendToAnExistingFileAndLeaveOtherFilesAlone() throws IOException {
    Path log = dir.resolve("events.log");
    Files.writeString(log, "old-00000\n");
    Path unrelated = Files.writeString(dir.resolve("events-notes.log"), "keep me\n");
    RotatingFile file = new RotatingFile(log, 25, 1, false, CLOCK);
    writeLines(file, 0, 5);
    file.close();

    assertThat(backupLines(file)).containsExactly("line-0001", "line-0002");
    assertThat(Files.readAllLines(log)).containsExactly("line-0003", "line-0004");
    assertThat(unrelated).exists();
  }

  @Test
  void shouldKeepEveryBackupWhenMaxBackupsIsZero() throws IOException {
    RotatingFile file = new RotatingFile(dir.resolve("sub/flows"), 10, 0, false, CLOCK);
    writeLines(file, 0, 6);
    file.close();
    assertThat(file.backups()).hasSize(5);
    assertThat(backupLines(file)).hasSize(5);
  }
}
