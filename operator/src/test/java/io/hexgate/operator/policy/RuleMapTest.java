package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.policy.trace.ManifestLoader;
import io.hexgate.operator.policy.trace.OfflineCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rendered rule maps decide exactly as the engine does, for every peer, protocol and port tried. */
class RuleMapTest {
  @TempDir Path dir;

  private static final String CLUSTER =
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: shop, labels: {team: shop}}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: web, namespace: shop, labels: {app: web}}
      spec:
        containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]
      status: {podIP: 10.0.0.1}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: api, namespace: shop, labels: {app: api}}
      spec:
        containers: [{name: c, image: x, ports: [{name: http, containerPort: 9090}, {name: dns, containerPort: 53, protocol: UDP}]}]
      status: {podIP: 10.0.0.2}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: db, namespace: shop, labels: {app: db}}
      spec: {containers: [{name: c, image: x}]}
      status: {podIP: 10.0.0.3}
      ---
      apiVersion: cilium.io/v2
      kind: CiliumNetworkPolicy
      metadata: {name: web, namespace: shop}
      spec:
        endpointSelector: {matchLabels: {app: web}}
        ingress:
        - fromEndpoints: [{matchLabels: {app: api}}]
          toPorts: [{ports: [{port: http, protocol: TCP}], rules: {http: [{method: GET, path: /items}]}}]
        - fromCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]
          toPorts: [{ports: [{port: "80", endPort: 90, protocol: ANY}]}]
        - icmps: [{fields: [{type: EchoRequest}]}]
        ingressDeny:
        - fromEntities: [world]
          toPorts: [{ports: [{port: "85", protocol: TCP}]}]
        egress:
        - toEndpoints: [{matchLabels: {app: api}}]
          toPorts: [{ports: [{port: http, protocol: TCP}, {port: dns, protocol: UDP}]}]
        - toPorts: [{ports: [{port: http, protocol: TCP}]}]
        - toEntities: [world]
      ---
      apiVersion: cilium.io/v2
      kind: CiliumClusterwideNetworkPolicy
      metadata: {name: db}
      spec:
        endpointSelector: {matchLabels: {app: db}}
        enableDefaultDeny: {ingress: false}
        ingress:
        - fromEndpoints: [{matchLabels: {app: web}}]
          toPorts: [{ports: [{port: "5432", protocol: TCP}], rules: {http: [{}]}}]
        ingressDeny:
        - fromEndpoints: [{matchLabels: {app: api}}]
      """;

  @Test
  void shouldDecideAsTheEngineForEveryEndpointPeerProtocolAndPort() throws IOException {
    Files.writeString(dir.resolve("cluster.yaml"), CLUSTER);
    PolicyEngine engine = new OfflineCluster(new ManifestLoader("default").load(List.of(dir))).engine();
    List<Identity> remotes = new java.util.ArrayList<>(engine.identities());
    remotes.add(engine.identityForAddress("192.0.2.200"));
    int checked = 0;
    for (Endpoint e : engine.endpoints()) {
      for (Direction d : Direction.values()) {
        RuleMap map = engine.ruleMap(e.key(), d);
        for (Identity remote : remotes) {
          for (Protocol p : List.of(Protocol.TCP, Protocol.UDP, Protocol.ICMP)) {
            for (int port : new int[] {0, 8, 53, 79, 80, 85, 90, 91, 5432, 8080, 9090, 65535}) {
              Verdict want = engine.decide(e, d, remote, p, port);
              Verdict got = map.lookup(remote.id(), p, port);
              String what = e.key() + " " + d + " " + remote + " " + p + "/" + port;
              assertThat(got.getClass()).as(what).isEqualTo(want.getClass());
              if (want instanceof Verdict.Denied wd) {
                assertThat(((Verdict.Denied) got).reason()).as(what).isEqualTo(wd.reason());
              }
              if (want instanceof Verdict.Redirected wr) {
                assertThat(((Verdict.Redirected) got).rules()).as(what).containsExactlyInAnyOrderElementsOf(wr.rules());
              }
              checked++;
            }
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(1000);
  }

  @Test
  void shouldResolveNamedPortsPerEndpointOnIngress() throws IOException {
    Files.writeString(dir.resolve("cluster.yaml"), CLUSTER);
    PolicyEngine engine = new OfflineCluster(new ManifestLoader("default").load(List.of(dir))).engine();
    RuleMap web = engine.ruleMap(new Endpoint.Key("shop", "web"), Direction.INGRESS);
    long api = engine.identityOf(new Endpoint.Key("shop", "api")).id();
    assertThat(web.entries())
        .filteredOn(en -> en.remoteIdentity() == api)
        .extracting(RuleMapEntry::protocol, RuleMapEntry::portFrom, RuleMapEntry::portTo, RuleMapEntry::action)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Protocol.TCP, 8080, 8080, RuleMapEntry.Action.REDIRECT));
    assertThat(web.enforcing()).isTrue();
  }
}
