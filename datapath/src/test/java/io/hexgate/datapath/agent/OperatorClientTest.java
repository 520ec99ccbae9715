package io.hexgate.datapath.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.enforce.ScriptedOperator;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The agent's side of the contract against a scripted operator over in-process gRPC. */
class OperatorClientTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String NODE = "node-a";
  private static final EndpointKey WEB = EndpointKey.newBuilder().setNamespace("shop").setName("web").build();
  private static final EndpointKey DB = EndpointKey.newBuilder().setNamespace("shop").setName("db").build();

  private final ScriptedOperator operator = new ScriptedOperator();
  private final List<StateUpdate> applied = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private volatile String failWith;
  private volatile Map<EndpointKey, String> endpointErrors = Map.of();
  private Server server;
  private ManagedChannel channel;
  private OperatorClient client;

  @BeforeEach
  void start() throws IOException {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(operator).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    DesiredStateApplier applier =
        (update, next) -> {
          if (failWith != null) {
            throw new IllegalStateException(failWith);
          }
          applied.add(update);
          return endpointErrors;
        };
    client =
        new OperatorClient(
            channel, NODE, applier, scheduler, new Backoff(Duration.ofMillis(10), Duration.ofMillis(50)), 2);
    client.start();
    await().atMost(WAIT).until(() -> operator.hellos.size() == 1);
  }

  @AfterEach
  void stop() {
    client.close();
    channel.shutdownNow();
    server.shutdownNow();
    scheduler.shutdownNow();
  }

  private static EndpointState endpoint(EndpointKey key, String ip, long identity) {
    return EndpointState.newBuilder()
        .setKey(key)
        .setIp(ip)
        .setIdentity(io.hexgate.contract.v1.Identity.newBuilder().setId(identity))
        .build();
  }

  private static StateUpdate snapshot(long revision, EndpointState... endpoints) {
    return incompleteSnapshot(revision, endpoints).toBuilder().setComplete(true).build();
  }

  /** A snapshot whose operator does not vouch that its engine held everything (e.g. not synced yet). */
  private static StateUpdate incompleteSnapshot(long revision, EndpointState... endpoints) {
    return StateUpdate.newBuilder()
        .setEpoch("e1")
        .setRevision(revision)
        .setSnapshot(true)
        .addAllUpsertEndpoints(List.of(endpoints))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.0.1/32").setIdentity(300))
        .build();
  }

  private static StateUpdate.Builder delta(long base, long revision) {
    return StateUpdate.newBuilder().setEpoch("e1").setBaseRevision(base).setRevision(revision);
  }

  @Test
  void shouldNameItsNodeThenApplyAndAckEachRevision() {
    assertThat(operator.hellos.get(0).getNode()).isEqualTo("node-a");
    assertThat(operator.hellos.get(0).getAppliedRevision()).isZero();

    operator.send(NODE, snapshot(1, endpoint(WEB, "10.0.0.1", 300)));
    operator.send(NODE, delta(1, 2).addUpsertEndpoints(endpoint(DB, "10.0.0.2", 301)).build());
    operator.send(NODE, delta(2, 3).addRemoveEndpoints(WEB).addRemoveIpcache("10.0.0.1/32").build());
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 3);
    assertThat(operator.acksOf(NODE)).allMatch(a -> a.getOk() && a.getEpoch().equals("e1"));
    assertThat(operator.acksOf(NODE)).extracting(a -> a.getRevision()).containsExactly(1L, 2L, 3L);
    assertThat(client.state().revision()).isEqualTo(3);
    assertThat(client.state().endpoints()).containsOnlyKeys(DB);
    assertThat(client.state().ipcache()).isEmpty();
  }

  @Test
  void shouldRefuseASnapshotNotMarkedCompleteThatWouldRemoveWhatItEnforces() {
    operator.send(NODE, snapshot(1, endpoint(WEB, "10.0.0.1", 300), endpoint(DB, "10.0.0.2", 301)));
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 1);

    // a new leader's snapshot from a half-filled engine: db is missing from it
    operator.send(NODE, incompleteSnapshot(1, endpoint(WEB, "10.0.0.1", 300)).toBuilder().setEpoch("e2").build());
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 2);
    assertThat(operator.acksOf(NODE).get(1).getOk()).isFalse();
    assertThat(operator.acksOf(NODE).get(1).getError())
        .contains("not marked complete")
        .contains("would remove 1 endpoints (shop/db)")
        .contains("keeping them");
    assertThat(applied).hasSize(1);
    assertThat(client.state().epoch()).isEqualTo("e1");
    assertThat(client.state().endpoints()).containsOnlyKeys(WEB, DB);

    // one that only adds (or changes) entries is applied, complete or not
    operator.send(NODE, incompleteSnapshot(2, endpoint(WEB, "10.0.0.1", 300), endpoint(DB, "10.0.0.2", 302),
        endpoint(EndpointKey.newBuilder().setNamespace("shop").setName("cache").build(), "10.0.0.3", 303))
        .toBuilder().setEpoch("e2").build());
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 3);
    assertThat(operator.acksOf(NODE).get(2).getOk()).isTrue();
    assertThat(client.state().endpoints()).hasSize(3);

    // and a complete one may remove
    operator.send(NODE, snapshot(3, endpoint(WEB, "10.0.0.1", 300)).toBuilder().setEpoch("e2").build());
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 4);
    assertThat(operator.acksOf(NODE).get(3).getOk()).isTrue();
    assertThat(client.state().endpoints()).containsOnlyKeys(WEB);
  }

  @Test
  void shouldReportEndpointErrorsInAnAck() {
    endpointErrors = Map.of(WEB, "no veth for web");
    operator.send(NODE, snapshot(1, endpoint(WEB, "10.0.0.1", 300)));
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 1);
    assertThat(operator.acksOf(NODE).get(0).getOk()).isTrue();
    assertThat(operator.acksOf(NODE).get(0).getEndpoints(0).getEndpoint()).isEqualTo(WEB);
    assertThat(operator.acksOf(NODE).get(0).getEndpoints(0).getError()).isEqualTo("no veth for web");
  }

  @Test
  void shouldLogEveryRevisionAppliedAndEveryNackWithItsReason() {
    // the client and what it delegates applying to
    Logger logger = (Logger) LoggerFactory.getLogger(OperatorClient.class.getPackageName());
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    StateUpdate first = snapshot(1, endpoint(WEB, "10.0.0.1", 300));
    StateUpdate second = delta(1, 2).addUpsertEndpoints(endpoint(DB, "10.0.0.2", 301)).build();
    try {
      operator.send(NODE, first);
      await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 1);
      failWith = "policy map full";
      operator.send(NODE, second);
      await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 2);
    } finally {
      logger.detachAppender(logged);
    }
    assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.INFO).extracting(ILoggingEvent::getFormattedMessage)
        .contains("node node-a: applied revision 1 (snapshot: 1 endpoints, 1 ipcache entries, 0 services)")
        .noneMatch(line -> line.contains("applied revision 2"));
    assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly("node node-a: rejecting revision 2: java.lang.IllegalStateException: policy map full");
  }

  @Test
  void shouldNackARevisionTheApplierRejectsAndKeepThePreviousState() {
    operator.send(NODE, snapshot(1, endpoint(WEB, "10.0.0.1", 300)));
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 1);
    failWith = "policy map full";
    operator.send(NODE, delta(1, 2).addUpsertEndpoints(endpoint(DB, "10.0.0.2", 301)).build());
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 2);
    assertThat(operator.acksOf(NODE).get(1).getOk()).isFalse();
    assertThat(operator.acksOf(NODE).get(1).getError()).isEqualTo("policy map full");
    assertThat(client.state().revision()).isEqualTo(1);

    // Updates the operator sent before it saw the NACK are ignored; its snapshot is applied.
    failWith = null;
    operator.send(NODE, delta(2, 3).build());
    operator.send(NODE, snapshot(3, endpoint(DB, "10.0.0.2", 301)));
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 3);
    assertThat(operator.acksOf(NODE).get(2).getRevision()).isEqualTo(3);
    assertThat(operator.acksOf(NODE).get(2).getOk()).isTrue();
    assertThat(client.state().endpoints()).containsOnlyKeys(DB);
    assertThat(client.connects()).isEqualTo(1);
  }

  @Test
  void shouldReconnectAndResumeFromItsLastAppliedRevision() {
    operator.send(NODE, snapshot(1, endpoint(WEB, "10.0.0.1", 300)));
    operator.send(NODE, delta(1, 2).addUpsertEndpoints(endpoint(DB, "10.0.0.2", 301)).build());
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 2);

    operator.drop(NODE);
    await().atMost(WAIT).until(() -> operator.hellos.size() == 2);
    assertThat(operator.hellos.get(1).getEpoch()).isEqualTo("e1");
    assertThat(operator.hellos.get(1).getAppliedRevision()).isEqualTo(2);

    operator.send(NODE, delta(2, 5).addRemoveEndpoints(WEB).build());
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 3);
    assertThat(client.state().endpoints()).containsOnlyKeys(DB);
    assertThat(client.state().revision()).isEqualTo(5);
  }

  @Test
  void shouldResynchroniseWhenAnUpdateDoesNotBuildOnWhatItHolds() {
    operator.send(NODE, snapshot(1, endpoint(WEB, "10.0.0.1", 300)));
    await().atMost(WAIT).until(() -> operator.acksOf(NODE).size() == 1);
    operator.send(NODE, delta(7, 8).build());
    await().atMost(WAIT).until(() -> operator.hellos.size() == 2);
    assertThat(operator.hellos.get(1).getAppliedRevision()).isEqualTo(1);
  }

  @Test
  void shouldSendFlowBatchesUpstream() {
    client.sendFlows(FlowBatch.newBuilder().addFlows(Flow.newBuilder().setDropReason(133)).build());
    await().atMost(WAIT).until(() -> operator.flowBatches.size() == 1);
    assertThat(operator.flowBatches.get(0).getFlows(0).getDropReason()).isEqualTo(133);
  }

  @Test
  void shouldBoundPendingFlowBatchesAndReportWhatItDroppedAsLost() {
    OperatorClient offline =
        new OperatorClient(channel, "node-b", (u, next) -> Map.of(), scheduler, Backoff.DEFAULT, 2);
    // Not started yet: batches can only queue, and the queue keeps the newest two.
    for (int i = 1; i <= 5; i++) {
      boolean kept = offline.sendFlows(FlowBatch.newBuilder().addFlows(Flow.newBuilder().setSourcePort(i)).build());
      assertThat(kept).isEqualTo(i <= 2);
    }
    offline.start();
    try {
      await().atMost(WAIT).until(() -> operator.flowBatches.size() == 2);
      assertThat(operator.flowBatches).extracting(b -> b.getFlows(0).getSourcePort()).containsExactly(4, 5);
      assertThat(operator.flowBatches.get(0).getLost()).isEqualTo(3);
      assertThat(operator.flowBatches.get(1).getLost()).isZero();
    } finally {
      offline.close();
    }
  }
}
