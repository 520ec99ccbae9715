package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.StateUpdates;
import io.hexgate.contract.testing.TestingAgent;
import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The operator's side of the node-agent contract, driven by test agents over in-process gRPC. */
class NodeAgentServiceTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final PolicyEngine engine = StarWars.cluster();
  private final NodeStateHub hub = new NodeStateHub("epoch-1", 8);
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final List<String> flowsFrom = new CopyOnWriteArrayList<>();
  private final ExecutorService sender = Executors.newFixedThreadPool(2);
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
    sender.shutdownNow();
    sender.awaitTermination(5, TimeUnit.SECONDS);
  }

  private NodeAgentService service(NodeAgentService.Authentication auth) {
    return new NodeAgentService(
        hub, reports::add, (node, batch) -> flowsFrom.add(node), sender, auth);
  }

  private ManagedChannel serve(NodeAgentService service, ServerInterceptor... interceptors) {
    String name = InProcessServerBuilder.generateName();
    try {
      servers.add(
          InProcessServerBuilder.forName(name)
              .addService(ServerInterceptors.intercept(service, interceptors))
              .build()
              .start());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    channels.add(channel);
    return channel;
  }

  private ManagedChannel serve() {
    return serve(service(NodeAgentService.Authentication.TRUST_CLAIM));
  }

  private void changed(String... nodes) {
    hub.changed(engine.snapshot(), Set.of(nodes));
  }

  @Test
  void shouldServeNothingUntilTheEngineIsFedThenACompleteSnapshot() throws InterruptedException {
    hub.holdUntilFed();
    TestingAgent a = new TestingAgent("node-a").connect(serve());
    // the engine is being filled: a node state rendered now leaves out endpoints that exist
    changed();
    Thread.sleep(300);
    assertThat(a.updates).as("updates before the engine is fed").isEmpty();

    hub.fed();
    await().atMost(WAIT).until(() -> a.updates.size() == 1);
    StateUpdate first = a.updates.get(0);
    assertThat(first.getSnapshot()).isTrue();
    assertThat(first.getComplete()).isTrue();
    assertThat(first.getUpsertEndpointsList()).extracting(e -> e.getKey().getName()).containsExactly("deathstar");
  }

  @Test
  void shouldSendSnapshotThenIncrementalUpdatesWithIncreasingRevisions() {
    changed();
    TestingAgent a = new TestingAgent("node-a").connect(serve());

    await().atMost(WAIT).until(() -> a.updates.size() == 1);
    StateUpdate first = a.updates.get(0);
    assertThat(first.getSnapshot()).isTrue();
    assertThat(first.getEpoch()).isEqualTo("epoch-1");
    assertThat(first.getUpsertEndpointsList()).extracting(e -> e.getKey().getName()).containsExactly("deathstar");
    assertThat(first.getUpsertEndpoints(0).getIngress().getEnforcing()).isFalse();
    assertThat(a.ipcache).containsOnlyKeys("10.0.1.10/32", "10.0.2.10/32", "10.0.2.11/32");

    StarWars.applyRule1(engine);
    changed("node-a", "node-b");
    await().atMost(WAIT).until(() -> a.updates.size() == 2);
    StateUpdate second = a.updates.get(1);
    assertThat(second.getSnapshot()).isFalse();
    assertThat(second.getBaseRevision()).isEqualTo(first.getRevision());
    assertThat(second.getRevision()).isEqualTo(first.getRevision() + 1);
    EndpointState deathstar = second.getUpsertEndpoints(0);
    long tiefighter = engine.identityOf(StarWars.tiefighter().key()).id();
    long self = engine.identityOf(StarWars.deathstar().key()).id(); // org=empire selects the deathstar too
    assertThat(deathstar.getIngress().getEnforcing()).isTrue();
    // Identity 1: the local host may always reach its pods (allow-localhost, cilium-policy.md §3.2).
    assertThat(deathstar.getIngress().getEntriesList())
        .extracting(
            RuleMapEntry::getRemoteIdentity, RuleMapEntry::getProtocol, RuleMapEntry::getPortFrom, RuleMapEntry::getAction)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(1L, Protocol.PROTOCOL_ANY, 0, Action.ACTION_ALLOW),
            org.assertj.core.groups.Tuple.tuple(self, Protocol.PROTOCOL_TCP, 80, Action.ACTION_ALLOW),
            org.assertj.core.groups.Tuple.tuple(tiefighter, Protocol.PROTOCOL_TCP, 80, Action.ACTION_ALLOW));
    assertThat(deathstar.getIngress().getEntriesList())
        .filteredOn(e -> e.getRemoteIdentity() == tiefighter)
        .singleElement()
        .satisfies(e -> assertThat(e.getDerivedFrom(0).getName()).isEqualTo("rule1"));
    assertThat(second.getUpsertIpcacheList()).isEmpty();

    // A pod elsewhere with the tiefighter's labels changes only the cluster-wide IP cache for node-a.
    engine.upsertEndpoint(
        StarWars.pod("tiefighter-2", "10.0.2.12", StarWars.tiefighter().labels(), "node-b"));
    changed("node-b");
    await().atMost(WAIT).until(() -> a.updates.size() == 3);
    StateUpdate third = a.updates.get(2);
    assertThat(third.getRevision()).isEqualTo(second.getRevision() + 1);
    assertThat(third.getUpsertEndpointsList()).isEmpty();
    assertThat(third.getUpsertIpcacheList()).extracting(e -> e.getPrefix()).containsExactly("10.0.2.12/32");
    assertThat(a.ipcache).containsEntry("10.0.2.12/32", tiefighter);

    engine.deleteEndpoint(StarWars.deathstar().key());
    changed("node-a");
    await().atMost(WAIT).until(() -> a.updates.size() == 4);
    assertThat(a.updates.get(3).getRemoveEndpointsList()).extracting(EndpointKey::getName).containsExactly("deathstar");
    assertThat(a.updates.get(3).getRemoveIpcacheList()).containsExactly("10.0.1.10/32");
    assertThat(a.endpoints).isEmpty();
  }

  @Test
  void shouldSendNothingWhenTheRenderedStateDidNotChange() {
    changed();
    TestingAgent a = new TestingAgent("node-a").connect(serve());
    await().atMost(WAIT).until(() -> reports.size() == 1);
    changed();
    changed("node-a");
    await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> a.updates.size() == 1);
    assertThat(hub.find("node-a").current().revision()).isEqualTo(1);
  }

  @Test
  void shouldPassAcksAndNacksWithErrorTextToTheReportListener() {
    changed();
    StarWars.applyRule1(engine);
    changed();
    TestingAgent a = new TestingAgent("node-a").connect(serve());
    await().atMost(WAIT).until(() -> reports.size() == 1);
    AgentReport ack = reports.get(0);
    assertThat(ack.node()).isEqualTo("node-a");
    assertThat(ack.revision()).isEqualTo(a.applied);
    assertThat(ack.ok()).isTrue();
    assertThat(ack.policies()).containsExactly(StarWars.RULE1);

    a.nackWith = "policy map full";
    engine.upsertEndpoint(StarWars.pod("deathstar-2", "10.0.1.11", StarWars.deathstar().labels(), "node-a"));
    changed("node-a");
    await().atMost(WAIT).until(() -> reports.size() == 2);
    AgentReport nack = reports.get(1);
    assertThat(nack.accepted()).isFalse();
    assertThat(nack.ok()).isFalse();
    assertThat(nack.error()).isEqualTo("policy map full");
    assertThat(nack.revision()).isEqualTo(ack.revision() + 1);
    assertThat(nack.policies()).containsExactly(StarWars.RULE1);

    // After a NACK the next change arrives as a snapshot; an endpoint failing alone is reported as such.
    a.nackWith = null;
    a.endpointErrors =
        Map.of(EndpointKey.newBuilder().setNamespace("default").setName("deathstar-2").build(), "no veth");
    engine.deleteEndpoint(StarWars.xwing().key());
    changed("node-b");
    await().atMost(WAIT).until(() -> reports.size() == 3);
    assertThat(a.updates.get(a.updates.size() - 1).getSnapshot()).isTrue();
    AgentReport partial = reports.get(2);
    assertThat(partial.accepted()).isTrue();
    assertThat(partial.ok()).isFalse();
    assertThat(partial.endpointErrors()).containsExactly(Map.entry(new Endpoint.Key("default", "deathstar-2"), "no veth"));
    assertThat(a.endpoints).containsOnlyKeys("default/deathstar", "default/deathstar-2");
  }

  @Test
  void shouldResumeWithOnlyTheChangesAfterReconnecting() {
    changed();
    ManagedChannel channel = serve();
    TestingAgent first = new TestingAgent("node-a").connect(channel);
    await().atMost(WAIT).until(() -> reports.size() == 1);
    first.disconnect();

    StarWars.applyRule1(engine);
    changed();
    engine.upsertEndpoint(StarWars.pod("deathstar-2", "10.0.1.11", StarWars.deathstar().labels(), "node-a"));
    changed("node-a");

    TestingAgent again = new TestingAgent("node-a");
    again.epoch = first.epoch;
    again.applied = first.applied;
    again.endpoints.putAll(first.endpoints);
    again.ipcache.putAll(first.ipcache);
    again.connect(channel);
    await().atMost(WAIT).until(() -> reports.size() == 2);
    assertThat(again.snapshots()).isZero();
    assertThat(again.updates).hasSize(1);
    assertThat(again.updates.get(0).getBaseRevision()).isEqualTo(first.applied);
    assertThat(again.updates.get(0).getRevision()).isEqualTo(hub.find("node-a").current().revision());
    assertThat(again.baseMismatches).isZero();
    assertThat(again.endpoints).containsOnlyKeys("default/deathstar", "default/deathstar-2");
    assertThat(again.endpoints.get("default/deathstar").getIngress().getEnforcing()).isTrue();
  }

  @Test
  void shouldSendASnapshotWhenTheAgentsRevisionIsGoneOrFromAnotherEpoch() {
    changed();
    ManagedChannel channel = serve();
    TestingAgent other = new TestingAgent("node-a");
    other.epoch = "epoch-0";
    other.applied = 1;
    other.connect(channel);
    await().atMost(WAIT).until(() -> other.updates.size() == 1);
    assertThat(other.snapshots()).isEqualTo(1);
    other.disconnect();

    long applied = other.applied;
    for (int i = 0; i < 10; i++) { // more changes than the 8 revisions kept
      engine.upsertEndpoint(StarWars.pod("probe-" + i, "10.0.1." + (100 + i), Map.of("app", "probe"), "node-a"));
      changed("node-a");
    }
    assertThat(hub.find("node-a").historySize()).isEqualTo(8);
    TestingAgent late = new TestingAgent("node-a");
    late.epoch = "epoch-1";
    late.applied = applied;
    late.connect(channel);
    await().atMost(WAIT).until(() -> late.updates.size() == 1);
    assertThat(late.snapshots()).isEqualTo(1);
    assertThat(late.endpoints).hasSize(11);
  }

  @Test
  void shouldCoalesceUpdatesForASlowAgentInsteadOfQueueingThem() {
    changed();
    TestingAgent slow = new TestingAgent("node-a");
    slow.autoRequest = false;
    slow.connect(serve());
    await().atMost(WAIT).until(() -> slow.updates.size() == 1);

    for (int i = 0; i < 300; i++) {
      engine.upsertEndpoint(
          StarWars.pod("probe-" + i, "10.0.3." + (i % 250) + (i >= 250 ? "1" : ""), Map.of("app", "probe"), "node-a"));
      changed("node-a");
    }
    NodeRevisions revisions = hub.find("node-a");
    assertThat(revisions.current().revision()).isEqualTo(301);
    assertThat(revisions.historySize()).isLessThanOrEqualTo(8);
    await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> slow.updates.size() == 1);

    slow.request(1);
    await().atMost(WAIT).until(() -> slow.updates.size() == 2);
    StateUpdate caughtUp = slow.updates.get(1);
    assertThat(caughtUp.getSnapshot()).isFalse();
    assertThat(caughtUp.getBaseRevision()).isEqualTo(1);
    assertThat(caughtUp.getRevision()).isEqualTo(301);
    assertThat(caughtUp.getUpsertEndpointsCount()).isEqualTo(300);
    assertThat(slow.endpoints).hasSize(301);
    await().atMost(WAIT).until(() -> reports.size() == 2);
    assertThat(reports.get(1).revision()).isEqualTo(301);
  }

  @Test
  void shouldHandFlowBatchesToTheListenerWithTheNode() {
    changed();
    TestingAgent a = new TestingAgent("node-b").connect(serve());
    a.sendFlows(
        FlowBatch.newBuilder()
            .addFlows(Flow.newBuilder().setVerdict(Verdict.VERDICT_DROPPED).setDropReason(133))
            .build());
    await().atMost(WAIT).until(() -> flowsFrom.equals(List.of("node-b")));
  }

  @Test
  void shouldListConnectedNodesAndForgetThemOnDisconnect() {
    changed();
    NodeAgentService service = service(NodeAgentService.Authentication.TRUST_CLAIM);
    ManagedChannel channel = serve(service);
    TestingAgent a = new TestingAgent("node-a").connect(channel);
    TestingAgent b = new TestingAgent("node-b").connect(channel);
    await().atMost(WAIT).until(() -> service.connectedNodes().equals(Set.of("node-a", "node-b")));
    a.disconnect();
    await().atMost(WAIT).until(() -> service.connectedNodes().equals(Set.of("node-b")));
    assertThat(b.closed).isNotDone();
  }

  @Test
  void shouldReplaceAnOlderConnectionForTheSameNode() {
    changed();
    NodeAgentService service = service(NodeAgentService.Authentication.TRUST_CLAIM);
    ManagedChannel channel = serve(service);
    TestingAgent old = new TestingAgent("node-a").connect(channel);
    await().atMost(WAIT).until(() -> old.updates.size() == 1);
    TestingAgent restarted = new TestingAgent("node-a").connect(channel);
    assertThat(old.closed.join().getCode()).isEqualTo(Status.Code.ABORTED);
    await().atMost(WAIT).until(() -> restarted.updates.size() == 1);
    assertThat(service.connectedNodes()).containsExactly("node-a");
  }

  @Test
  void shouldRefuseAgentsWhileThisReplicaIsNotTheLeader() {
    changed();
    java.util.concurrent.atomic.AtomicBoolean leading = new java.util.concurrent.atomic.AtomicBoolean();
    NodeAgentService service =
        new NodeAgentService(
            hub, reports::add, FlowBatchListener.NONE, sender, NodeAgentService.Authentication.TRUST_CLAIM, leading::get);
    ManagedChannel channel = serve(service);
    TestingAgent early = new TestingAgent("node-a").connect(channel);
    assertThat(early.closed.join().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    leading.set(true);
    TestingAgent later = new TestingAgent("node-a").connect(channel);
    await().atMost(WAIT).until(() -> later.updates.size() == 1);
  }

  @Test
  void shouldLogEveryRevisionSentToANodeAndEveryNackWithItsReason() {
    Logger logger = (Logger) LoggerFactory.getLogger(AgentSession.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    TestingAgent a = new TestingAgent("node-a");
    try {
      changed();
      a.connect(serve());
      await().atMost(WAIT).until(() -> reports.size() == 1);
      a.nackWith = "policy map full";
      engine.upsertEndpoint(StarWars.pod("deathstar-2", "10.0.1.11", StarWars.deathstar().labels(), "node-a"));
      changed("node-a");
      await().atMost(WAIT).until(() -> reports.size() == 2);
    } finally {
      logger.detachAppender(logged);
    }
    assertThat(a.updates).hasSize(2);
    assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.INFO).extracting(ILoggingEvent::getFormattedMessage)
        .contains(a.updates.stream()
            .map(u -> "node node-a: sent revision " + u.getRevision() + " (" + StateUpdates.describe(u) + ")")
            .toArray(String[]::new));
    assertThat(a.updates.get(1).getSnapshot()).isFalse();
    assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly("node node-a rejected revision " + a.updates.get(1).getRevision() + ": policy map full");
  }

  @Test
  void shouldRefuseAnAgentWithoutAVerifiedCertificate() {
    changed();
    TestingAgent a =
        new TestingAgent("node-a").connect(serve(service(NodeAgentService.Authentication.REQUIRE_CERTIFICATE)));
    assertThat(a.closed.join().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(a.updates).isEmpty();
  }

  @Test
  void shouldRefuseAnAgentClaimingAnotherNodeThanItsCertificate() {
    changed();
    ServerInterceptor certifiedForNodeB =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            return Contexts.interceptCall(Context.current().withValue(VerifiedNode.KEY, "node-b"), call, headers, next);
          }
        };
    ManagedChannel channel = serve(service(NodeAgentService.Authentication.REQUIRE_CERTIFICATE), certifiedForNodeB);
    TestingAgent liar = new TestingAgent("node-a").connect(channel);
    assertThat(liar.closed.join().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(liar.updates).isEmpty();
    TestingAgent honest = new TestingAgent("node-b").connect(channel);
    await().atMost(WAIT).until(() -> honest.updates.size() == 1);
  }
}
