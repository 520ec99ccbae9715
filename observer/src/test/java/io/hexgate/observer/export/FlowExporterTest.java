package io.hexgate.observer.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.observer.ExportEvent;
import io.hexgate.observer.json.HubbleJson;
import io.hexgate.observer.mask.FlowMask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowExporterTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-05-01T10:00:00Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  private static Flow flow(String namespace, Verdict verdict, long seconds) {
    return Flow.newBuilder()
        .setTime(Timestamp.newBuilder().setSeconds(seconds))
        .setVerdict(verdict)
        .setSource(Endpoint.newBuilder().setNamespace(namespace).setPodName("client"))
        .setDestination(Endpoint.newBuilder().setNamespace("default").setPodName("server"))
        .setNodeName("n1")
        .setSummary("TCP Flags: SYN")
        .build();
  }

  private static ExportEvent parse(String line) {
    try {
      return HubbleJson.parse(line, ExportEvent.newBuilder()).build();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not Hubble JSON: " + line, e);
    }
  }

  private List<ExportEvent> export(ExportOptions options, Flow... flows) throws IOException {
    try (FlowExporter exporter = new FlowExporter(options, "n1", CLOCK)) {
      for (Flow f : flows) {
        exporter.onFlow(f);
      }
    }
    return Files.readAllLines(options.file()).stream().map(FlowExporterTest::parse).toList();
  }

  @Test
  void shouldWriteOneExportEventPerLineThatParsesBackToTheFlow() throws IOException {
    Path file = dir.resolve("events.log");
    Flow first = flow("default", Verdict.FORWARDED, 100);
    Flow second = flow("kube-system", Verdict.DROPPED, 101).toBuilder().clearNodeName().build();

    List<ExportEvent> events = export(ExportOptions.toFile(file), first, second);

    assertThat(events).hasSize(2);
    assertThat(events.get(0).getFlow()).isEqualTo(first);
    assertThat(events.get(0).getNodeName()).isEqualTo("n1");
    assertThat(events.get(0).getTime()).isEqualTo(first.getTime());
    assertThat(events.get(1).getFlow()).isEqualTo(second);
    assertThat(events.get(1).getNodeName()).as("the exporter's node when the flow has none").isEqualTo("n1");
    String line = Files.readAllLines(file).get(0);
    assertThat(line).startsWith("{\"flow\":{").contains("\"node_name\":\"n1\"", "\"Summary\":\"TCP Flags: SYN\"")
        .doesNotContain("\n");
  }

  @Test
  void shouldWriteLostEventsUnfiltered() throws IOException {
    Path file = dir.resolve("events.log");
    ExportOptions options = new ExportOptions(file, 1, 1, false,
        ExportOptions.parseFilters(ExportOptions.ALLOWLIST, "{\"verdict\":[\"DROPPED\"]}"), List.of(), FlowMask.ALL);
    try (FlowExporter exporter = new FlowExporter(options, "n1", CLOCK)) {
      exporter.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, 7);
    }
    ExportEvent lost = parse(Files.readAllLines(file).get(0));
    assertThat(lost.getLostEvents().getSource()).isEqualTo(LostEventSource.PERF_EVENT_RING_BUFFER);
    assertThat(lost.getLostEvents().getNumEventsLost()).isEqualTo(7);
    assertThat(lost.getNodeName()).isEqualTo("n1");
    assertThat(lost.getTime().getSeconds()).isEqualTo(CLOCK.instant().getEpochSecond());
  }

  @Test
  void shouldExportOnlyWhatTheAllowlistLetsInAndTheDenylistDoesNotKeepOut() throws IOException {
    ExportOptions options = ExportOptions.parse(Map.of(
        ExportOptions.FILE_PATH, dir.resolve("events.log").toString(),
        ExportOptions.ALLOWLIST, "{\"verdict\":[\"DROPPED\",\"ERROR\"]}",
        ExportOptions.DENYLIST, "{\"source_pod\":[\"kube-system/\"]},{\"destination_pod\":[\"kube-system/\"]}"));

    List<ExportEvent> events = export(options,
        flow("default", Verdict.FORWARDED, 1),
        flow("default", Verdict.DROPPED, 2),
        flow("kube-system", Verdict.DROPPED, 3),
        flow("other", Verdict.ERROR, 4));

    assertThat(events).extracting(e -> e.getFlow().getTime().getSeconds()).containsExactly(2L, 4L);
  }

  @Test
  void shouldRotateTheFileAndKeepMaxBackups() throws IOException {
    Path file = dir.resolve("flows.log");
    ExportOptions options = ExportOptions.parse(Map.of(
        ExportOptions.FILE_PATH, file.toString(),
        ExportOptions.FILE_MAX_SIZE_MB, "1",
        ExportOptions.FILE_MAX_BACKUPS, "2",
        ExportOptions.FILE_COMPRESS, "true"));
    String padding = "x".repeat(1000);
    try (FlowExporter exporter = new FlowExporter(options, "n1", CLOCK)) {
      for (int i = 0; i < 4200; i++) { // about 4.4 MB: four rotations
        exporter.onFlow(flow("default", Verdict.FORWARDED, i).toBuilder().setSummary(padding).build());
      }
      assertThat(exporter.dropped()).isZero();
    }
    try (var files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertThat(names).hasSize(3).contains("flows.log");
      assertThat(names).filteredOn(n -> !n.equals("flows.log")).allMatch(n -> n.matches("flows-.*\\.log\\.gz"));
    }
    assertThat(Files.size(file)).isLessThanOrEqualTo(1024 * 1024);
    List<String> current = Files.readAllLines(file);
    assertThat(parse(current.get(current.size() - 1)).getFlow().getTime().getSeconds()).isEqualTo(4199);
  }

  @Test
  void shouldDropAndCountEventsInsteadOfBlockingWhenTheWriterIsBehind() throws Exception {
    CountDownLatch firstWrite = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> written = Collections.synchronizedList(new ArrayList<>());
    LineSink stuck = new LineSink() {
      @Override
      public void write(String line) throws IOException {
        written.add(line);
        firstWrite.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    FlowExporter exporter = new FlowExporter(ExportOptions.toFile(dir.resolve("unused")), "n1", CLOCK, stuck, 2);
    exporter.onFlow(flow("default", Verdict.FORWARDED, 0));
    assertThat(firstWrite.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 1; i < 10; i++) {
      exporter.onFlow(flow("default", Verdict.FORWARDED, i));
    }
    assertThat(exporter.dropped()).isEqualTo(7);
    release.countDown();
    exporter.close();
    assertThat(written).hasSize(3);
    assertThat(parse(written.get(2)).getFlow().getTime().getSeconds()).isEqualTo(2);
  }

  @Test
  void shouldParseHubbleOptionsWithDefaults() {
    ExportOptions options = ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, "/var/run/hexgate/hubble/events.log",
        "hubble-metrics", "dns drop"));
    assertThat(options.maxSizeMb()).isEqualTo(10);
    assertThat(options.maxBackups()).isEqualTo(5);
    assertThat(options.compress()).isFalse();
    assertThat(options.allowlist()).isEmpty();
    assertThat(options.fieldMask()).isSameAs(FlowMask.ALL);

    assertThat(ExportOptions.parseFilters(ExportOptions.DENYLIST,
            " {\"source_pod\":[\"kube-system/\"]} ,{\"destination_pod\":[\"a}\\\"b/\"]}"))
        .containsExactly(FlowFilter.newBuilder().addSourcePod("kube-system/").build(),
            FlowFilter.newBuilder().addDestinationPod("a}\"b/").build());
  }

  @Test
  void shouldNameTheOptionThatCannotBeParsed() {
    String path = dir.resolve("e.log").toString();
    assertThatThrownBy(() -> ExportOptions.parse(Map.of()))
        .hasMessageContaining(ExportOptions.FILE_PATH);
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.FILE_MAX_SIZE_MB, "ten")))
        .hasMessageContaining(ExportOptions.FILE_MAX_SIZE_MB).hasMessageContaining("ten");
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.FILE_MAX_SIZE_MB, "0")))
        .hasMessageContaining(ExportOptions.FILE_MAX_SIZE_MB);
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.FILE_MAX_BACKUPS, "-1")))
        .hasMessageContaining(ExportOptions.FILE_MAX_BACKUPS);
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.FILE_COMPRESS, "maybe")))
        .hasMessageContaining(ExportOptions.FILE_COMPRESS);
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.ALLOWLIST, "{\"verdict\":")))
        .hasMessageContaining(ExportOptions.ALLOWLIST);
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.DENYLIST, "verdict=DROPPED")))
        .hasMessageContaining(ExportOptions.DENYLIST);
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.DENYLIST,
            "{\"verdict\":[\"NOT_A_VERDICT\"]}")))
        .hasMessageContaining(ExportOptions.DENYLIST);
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.ALLOWLIST,
            "{\"verdicts\":[\"DROPPED\"]}")))
        .hasMessageContaining(ExportOptions.ALLOWLIST).hasMessageContaining("verdicts");
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, ExportOptions.DENYLIST,
            "{},{\"source_ip\":[\"nope\"]}")))
        .hasMessageContaining(ExportOptions.DENYLIST + "[1].source_ip");
    assertThatThrownBy(() -> ExportOptions.parse(Map.of(ExportOptions.FILE_PATH, path, "hubble-export-aggregation-interval", "5s")))
        .hasMessageContaining("hubble-export-aggregation-interval");
  }
}
