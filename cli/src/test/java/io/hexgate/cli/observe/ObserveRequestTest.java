package io.hexgate.cli.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import io.hexgate.cli.CliRun;
import io.hexgate.cli.HexgateCli;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The GetFlowsRequest {@code hexgate observe} builds from its flags: what {@code hubble observe} sends for the same flags. */
class ObserveRequestTest {
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static GetFlowsRequest request(String... args) {
    ObserveCommand command = new ObserveCommand();
    new CommandLine(command).parseArgs(args);
    return command.request(CLOCK);
  }

  private static String json(List<FlowFilter> filters) {
    return String.join(" ", filters.stream().map(ObserveCommand.RawFilters::json).toList());
  }

  @Test
  void aPlainObserveAsksForTheLast20WithTheFieldsCompactLinesShow() {
    GetFlowsRequest r = request();
    assertThat(r.getNumber()).isEqualTo(20);
    assertThat(r.getFollow()).isFalse();
    assertThat(r.getFirst()).isFalse();
    assertThat(r.getWhitelistList()).isEmpty();
    assertThat(r.getFieldMask().getPathsList()).contains("time", "IP", "l4", "source.pod_name", "Type", "Summary",
        "is_reply", "traffic_direction", "policy_match_type");
    assertThat(request("-o", "json").hasFieldMask()).isFalse();
    assertThat(request("--use-default-field-masks=false").hasFieldMask()).isFalse();
    assertThat(request("-o", "jsonpb", "--field-mask", "time,source.pod_name").getFieldMask().getPathsList())
        .containsExactly("time", "source.pod_name");
  }

  @Test
  void selectorsSetNumberFirstFollowAndTimes() {
    assertThat(request("--last", "5", "--follow")).satisfies(r -> {
      assertThat(r.getNumber()).isEqualTo(5);
      assertThat(r.getFollow()).isTrue();
    });
    assertThat(request("-f")).satisfies(r -> {
      assertThat(r.getNumber()).isZero();
      assertThat(r.getFollow()).isTrue();
    });
    assertThat(request("--first", "3")).satisfies(r -> {
      assertThat(r.getNumber()).isEqualTo(3);
      assertThat(r.getFirst()).isTrue();
    });
    assertThat(Long.toUnsignedString(request("--all").getNumber())).isEqualTo("18446744073709551615");
    GetFlowsRequest timed = request("--since", "5m", "--until", "1m30s");
    assertThat(timed.getNumber()).isZero();
    assertThat(timed.getSince()).isEqualTo(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond() - 300).build());
    assertThat(timed.getUntil()).isEqualTo(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond() - 90).build());
    GetFlowsRequest followed = request("--since", "2026-11-22T09:00:00.5+01:00", "--until", "1m", "-f");
    assertThat(followed.getSince()).isEqualTo(Timestamp.newBuilder().setSeconds(Instant.parse("2026-11-22T08:00:00Z").getEpochSecond()).setNanos(500_000_000).build());
    assertThat(followed.hasUntil()).as("--until is ignored with --follow").isFalse();
    assertThat(request("--since", "2026-11-01").getSince().getSeconds()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z").getEpochSecond());
    assertThat(request("--since", "1.5h").getSince().getSeconds()).isEqualTo(NOW.getEpochSecond() - 5400);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "--first 1 --follow|cannot set both --first and --follow",
    "--first 1 --last 2|cannot set both --first and --last",
    "--first 1 --all|cannot set both --first and --all",
    "--last 1 --all|cannot set both --last and --all",
    "--since yesterday|failed to parse the since time: failed to convert yesterday to time",
    "--pod a --from-pod b|filters --from-pod and --pod cannot be combined",
    "--to-pod b --pod a|filters --to-pod and --pod cannot be combined",
    "--label app=a --from-label app=b|filters --label and --from-label cannot be combined",
    "--port 80 --to-port 81|filters --port and --to-port cannot be combined",
    "--namespace x --to-pod y|filters --to-pod and --namespace cannot be combined",
    "--from-ip 10.0.0.1 --namespace x|filters --from-ip and --namespace cannot be combined",
    "--namespace x --to-service y|filters --to-service and --namespace cannot be combined",
    "--from-namespace a --from-pod b/c|namespace conflict: \"a\" does not contain \"b/c\"",
    "--verdict dropped|invalid --verdict value: dropped",
    "--traffic-direction up|up: invalid traffic direction, expected ingress or egress",
    "-t nope|unable to parse type 'nope', not a known type name and unable to parse as numeric value",
    "--tcp-flags syn,foo|unknown tcp flag: foo",
    "--not|trailing --not found in the arguments",
    "--not --not --pod a|consecutive --not statements",
    "-o table -f|table output format is not compatible with follow mode",
    "--field-mask time|compact output format is not compatible with custom field mask",
    "-o json --field-mask nope|failed to construct field mask: proto: invalid path \"nope\" for message \"flow.Flow\"",
    "--allowlist {nope|invalid --allowlist flag: failed to decode '{nope': ",
  })
  void refusesWhatHubbleRefuses(String args, String message) {
    assertThatThrownBy(() -> request(args.split(" "))).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
  }

  /** §8.2 of the Hubble reference: the filters {@code --print-raw-filters} shows for each flag family. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "--pod default/xwing|{\"source_pod\":[\"default/xwing\"]} {\"destination_pod\":[\"default/xwing\"]}",
    "--from-pod xwing --to-pod deathstar|{\"source_pod\":[\"xwing\"],\"destination_pod\":[\"deathstar\"]}",
    "-n default|{\"source_pod\":[\"default/\"]} {\"destination_pod\":[\"default/\"]}",
    "--namespace default --pod xwing|{\"source_pod\":[\"default/xwing\"]} {\"destination_pod\":[\"default/xwing\"]}",
    "--from-namespace kube-system|{\"source_pod\":[\"kube-system/\"]}",
    "--to-namespace a --to-namespace b|{\"destination_pod\":[\"a/\",\"b/\"]}",
    "--verdict DROPPED --verdict FORWARDED|{\"verdict\":[\"DROPPED\",\"FORWARDED\"]}",
    "-l app=foo|{\"source_label\":[\"app=foo\"]} {\"destination_label\":[\"app=foo\"]}",
    "--to-label a\\u003db|{\"destination_label\":[\"a\\\\u003db\"]}",
    "--port 80 --protocol tcp|{\"protocol\":[\"tcp\"],\"source_port\":[\"80\"]} {\"protocol\":[\"tcp\"],\"destination_port\":[\"80\"]}",
    "--to-port 80|{\"destination_port\":[\"80\"]}",
    "--from-port 80|{\"source_port\":[\"80\"]}",
    "--http-status 5+ --http-method GET --http-path /v1/.*|{\"http_status_code\":[\"5+\"],\"http_method\":[\"GET\"],\"http_path\":[\"/v1/.*\"]}",
    "-t trace:to-endpoint -t policy-verdict|{\"event_type\":[{\"type\":4,\"match_sub_type\":true},{\"type\":5}]}",
    "-t l7 -t drop|{\"event_type\":[{\"type\":129},{\"type\":1}]}",
    "--type trace:from-network -t 4:7|{\"event_type\":[{\"type\":4,\"match_sub_type\":true,\"sub_type\":10},{\"type\":4,\"match_sub_type\":true,\"sub_type\":7}]}",
    "--to-pod deathstar --verdict DROPPED --tcp-flags syn|{\"destination_pod\":[\"deathstar\"],\"verdict\":[\"DROPPED\"],\"tcp_flags\":[{\"SYN\":true}]}",
    "--from-identity world --to-identity 12345|{\"source_identity\":[2],\"destination_identity\":[12345]}",
    "--traffic-direction ingress --node-name kind-worker --ip-version v4|{\"node_name\":[\"kind-worker\"],\"ip_version\":[\"IPv4\"],\"traffic_direction\":[\"INGRESS\"]}",
    "--fqdn *.cilium.io|{\"source_fqdn\":[\"*.cilium.io\"]} {\"destination_fqdn\":[\"*.cilium.io\"]}",
    "--from-ip 10.0.0.0/8 --to-service default/deathstar|{\"source_ip\":[\"10.0.0.0/8\"],\"destination_service\":[\"default/deathstar\"]}",
    "--ip 10.0.0.1 --node-name n1|{\"source_ip\":[\"10.0.0.1\"],\"node_name\":[\"n1\"]} {\"destination_ip\":[\"10.0.0.1\"],\"node_name\":[\"n1\"]}",
    "--identity host|{\"source_identity\":[1]} {\"destination_identity\":[1]}",
    "--workload Deployment/web|{\"source_workload\":[{\"name\":\"web\",\"kind\":\"Deployment\"}]} {\"destination_workload\":[{\"name\":\"web\",\"kind\":\"Deployment\"}]}",
    "-4 --http-header x-a:b|{\"ip_version\":[\"IPv4\"],\"http_header\":[{\"key\":\"x-a\",\"value\":\"b\"}]}",
    "--allowlist {\"verdict\":[\"ERROR\"]}{\"uuid\":[\"u\"]} --to-pod a|{\"destination_pod\":[\"a\"]} {\"verdict\":[\"ERROR\"]} {\"uuid\":[\"u\"]}",
  })
  void filterFlagsBecomeHubblesWhitelist(String args, String whitelist) {
    GetFlowsRequest r = request(args.split(" "));
    assertThat(json(r.getWhitelistList())).isEqualTo(whitelist);
    assertThat(r.getBlacklistList()).isEmpty();
  }

  @Test
  void notSendsOnlyTheNextFlagToTheBlacklist() {
    GetFlowsRequest r = request("--not", "--namespace", "kube-system", "--verdict", "DROPPED", "--not", "--http-method", "put",
        "--not", "--http-method", "get");
    assertThat(json(r.getBlacklistList())).isEqualTo(
        "{\"source_pod\":[\"kube-system/\"],\"http_method\":[\"put\",\"get\"]} {\"destination_pod\":[\"kube-system/\"],\"http_method\":[\"put\",\"get\"]}");
    assertThat(json(r.getWhitelistList())).isEqualTo("{\"verdict\":[\"DROPPED\"]}");
  }

  @Test
  void printRawFiltersPrintsHubblesYamlAndAsksNoServer() {
    CliRun run = CliRun.of("observe", "--server", "127.0.0.1:1", "--verdict", "DROPPED", "--verdict", "ERROR",
        "--not", "--namespace", "kube-system", "--print-raw-filters");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo("""
        allowlist:
            - '{"verdict":["DROPPED","ERROR"]}'
        denylist:
            - '{"source_pod":["kube-system/"]}'
            - '{"destination_pod":["kube-system/"]}'
        """);
  }

  @Test
  void refusedFlagsExitWithTwoAndHubblesMessage() {
    CliRun run = CliRun.of("observe", "--server", "127.0.0.1:1", "--pod", "a", "--from-pod", "b");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("hexgate: filters --from-pod and --pod cannot be combined\n");
    assertThat(HexgateCli.commandLine().getSubcommands()).containsKeys("observe", "status");
  }
}
