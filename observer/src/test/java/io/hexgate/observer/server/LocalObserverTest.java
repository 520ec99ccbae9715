package io.hexgate.observer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.FieldMask;
import com.google.protobuf.Int32Value;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.GetNamespacesRequest;
import io.hexgate.contract.hubble.observer.GetNodesRequest;
import io.hexgate.contract.hubble.observer.Namespace;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.observer.buffer.FlowRing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalObserverTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private final MutableClock clock = new MutableClock(T0);
  private LocalObserver observer;
  private Server server;
  private ManagedChannel channel;
  private ObserverGrpc.ObserverBlockingStub stub;

  private void serve(int capacity) throws Exception {
    observer = new LocalObserver("node-1", new FlowRing(capacity), clock, "hexgate-test");
    String name = InProcessServerBuilder.generateName();
    server = HubbleServices.addTo(InProcessServerBuilder.forName(name), observer).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    stub = ObserverGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Timestamp at(long second) {
    return Timestamp.newBuilder().setSeconds(T0.getEpochSecond() + second).build();
  }

  /** A flow at T0 + {@code second}, its source pod named after the second. */
  private static Flow flow(long second) {
    return Flow.newBuilder()
        .setTime(at(second))
        .setSource(Endpoint.newBuilder().setNamespace("default").setPodName("pod-" + second))
        .setSummary("flow " + second)
        .build();
  }

  private void writeFlows(long fromSecond, long toSecond) {
    for (long s = fromSecond; s <= toSecond; s++) {
      observer.onFlow(flow(s));
    }
  }

  private List<GetFlowsResponse> all(GetFlowsRequest request) {
    List<GetFlowsResponse> responses = new ArrayList<>();
    stub.withDeadlineAfter(10, TimeUnit.SECONDS).getFlows(request).forEachRemaining(responses::add);
    return responses;
  }

  /** The description of the INVALID_ARGUMENT the request is answered with. */
  private String invalidArgument(GetFlowsRequest request) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> all(request));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    return e.getStatus().getDescription();
  }

  /** Seconds after T0 of the flows among the responses, and "lost:N" for lost events. */
  private static List<String> seconds(List<GetFlowsResponse> responses) {
    return responses.stream().map(LocalObserverTest::second).toList();
  }

  private static String second(GetFlowsResponse r) {
    return r.hasLostEvents()
        ? "lost:" + r.getLostEvents().getNumEventsLost()
        : String.valueOf(r.getFlow().getTime().getSeconds() - T0.getEpochSecond());
  }

  @Test
  void shouldSendTheLastNFlowsOrTheFirstNOrTheWholeBuffer() throws Exception {
    serve(15);
    writeFlows(0, 9);

    assertThat(seconds(all(GetFlowsRequest.newBuilder().setNumber(3).build()))).containsExactly("7", "8", "9");
    assertThat(seconds(all(GetFlowsRequest.newBuilder().setNumber(3).setFirst(true).build())))
        .containsExactly("0", "1", "2");
    assertThat(seconds(all(GetFlowsRequest.getDefaultInstance())))
        .containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    assertThat(seconds(all(GetFlowsRequest.newBuilder().setNumber(50).build()))).hasSize(10);
  }

  @Test
  void shouldReadOnlyWhatTheRingStillHolds() throws Exception {
    serve(7);
    writeFlows(0, 9);

    assertThat(seconds(all(GetFlowsRequest.newBuilder().setFirst(true).setNumber(2).build())))
        .containsExactly("3", "4");
  }

  @Test
  void shouldBoundFlowsBySinceAndUntil() throws Exception {
    serve(15);
    writeFlows(0, 9);

    assertThat(seconds(all(GetFlowsRequest.newBuilder().setSince(at(3)).setUntil(at(6)).build())))
        .containsExactly("3", "4", "5", "6");
    // since takes precedence over number for where to start
    assertThat(seconds(all(GetFlowsRequest.newBuilder().setSince(at(3)).setNumber(2).build())))
        .containsExactly("3", "4");
    assertThat(seconds(all(GetFlowsRequest.newBuilder().setFirst(true).setSince(at(8)).build())))
        .containsExactly("8", "9");
  }

  @Test
  void shouldSendLostEventsUnfilteredAndNotCountedInNumber() throws Exception {
    serve(15);
    writeFlows(0, 4);
    observer.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, 5, 2);
    writeFlows(5, 6);

    List<GetFlowsResponse> responses = all(GetFlowsRequest.newBuilder().setNumber(3).build());
    assertThat(seconds(responses)).containsExactly("4", "lost:5", "5", "6");
    GetFlowsResponse lost = responses.get(1);
    assertThat(lost.getLostEvents().getSource()).isEqualTo(LostEventSource.PERF_EVENT_RING_BUFFER);
    assertThat(lost.getLostEvents().getCpu()).isEqualTo(Int32Value.of(2));
    assertThat(lost.getNodeName()).isEqualTo("node-1");
    // it was recorded at T0, yet a window starting later still gets it
    assertThat(seconds(all(GetFlowsRequest.newBuilder().setSince(at(5)).build())))
        .containsExactly("lost:5", "5", "6");
  }

  @Test
  void shouldRejectFirstWithFollow() throws Exception {
    serve(15);

    assertThat(invalidArgument(GetFlowsRequest.newBuilder().setFirst(true).setFollow(true).build()))
        .isEqualTo("first cannot be specified with follow");
  }

  @Test
  void shouldNameTheFlowsNodeAndTimeInTheResponse() throws Exception {
    serve(15);
    observer.onFlow(Flow.newBuilder().setSummary("no node, no time").build());
    observer.onFlow(flow(5).toBuilder().setNodeName("elsewhere").build());

    List<GetFlowsResponse> responses = all(GetFlowsRequest.getDefaultInstance());
    assertThat(responses.get(0).getNodeName()).isEqualTo("node-1");
    assertThat(responses.get(0).getFlow().getNodeName()).isEqualTo("node-1");
    assertThat(responses.get(0).getTime()).isEqualTo(at(0));
    assertThat(responses.get(1).getNodeName()).isEqualTo("elsewhere");
    assertThat(responses.get(1).getTime()).isEqualTo(at(5));
  }

  @Test
  void shouldApplyTheFieldMaskFromEitherPlace() throws Exception {
    serve(15);
    observer.onFlow(flow(1).toBuilder().setNodeName("node-1").build());
    FieldMask mask = FieldMask.newBuilder().addPaths("source.pod_name").addPaths("Summary").build();
    Flow masked = Flow.newBuilder()
        .setSource(Endpoint.newBuilder().setPodName("pod-1"))
        .setSummary("flow 1")
        .build();

    GetFlowsResponse top = all(GetFlowsRequest.newBuilder().setFieldMask(mask).build()).get(0);
    assertThat(top.getFlow()).isEqualTo(masked);
    assertThat(top.getNodeName()).isEqualTo("node-1");
    assertThat(top.getTime()).isEqualTo(at(1));
    GetFlowsResponse experimental = all(GetFlowsRequest.newBuilder()
        .setExperimental(GetFlowsRequest.Experimental.newBuilder().setFieldMask(mask)).build()).get(0);
    assertThat(experimental.getFlow()).isEqualTo(masked);

    assertThat(invalidArgument(GetFlowsRequest.newBuilder()
        .setFieldMask(FieldMask.newBuilder().addPaths("source.pod")).build()))
        .contains("\"source.pod\"");
  }

  @Test
  void shouldStreamANewFlowToAFollowerAtOnce() throws Exception {
    serve(15);
    writeFlows(0, 2);
    io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
    try {
      Iterator<GetFlowsResponse> followed = call.call(() ->
          stub.withDeadlineAfter(10, TimeUnit.SECONDS)
              .getFlows(GetFlowsRequest.newBuilder().setFollow(true).setNumber(1).build()));
      assertThat(second(followed.next())).isEqualTo("2");

      for (long s = 3; s <= 5; s++) {
        long written = System.nanoTime();
        observer.onFlow(flow(s));
        assertThat(second(followed.next())).isEqualTo(String.valueOf(s));
        assertThat(Duration.ofNanos(System.nanoTime() - written)).isLessThan(Duration.ofSeconds(1));
      }
    } finally {
      call.cancel(null);
    }
    // the cancelled follower is gone; others are served as before
    writeFlows(6, 6);
    assertThat(seconds(all(GetFlowsRequest.newBuilder().setNumber(1).build()))).containsExactly("6");
  }

  @Test
  void shouldEndAFollowAtTheFirstFlowAfterUntil() throws Exception {
    serve(15);
    writeFlows(0, 9);
    Iterator<GetFlowsResponse> followed = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .getFlows(GetFlowsRequest.newBuilder().setFollow(true).setSince(at(8)).setUntil(at(12)).build());
    List<String> got = new ArrayList<>();
    got.add(second(followed.next()));
    got.add(second(followed.next()));
    writeFlows(10, 14);
    followed.forEachRemaining(r -> got.add(second(r)));

    assertThat(got).containsExactly("8", "9", "10", "11", "12");
  }

  @Test
  void shouldTellAFollowerThatStoppedReadingHowManyFlowsItMissed() throws Exception {
    serve(7);
    writeFlows(0, 0);
    BlockingQueue<GetFlowsResponse> received = new LinkedBlockingQueue<>();
    ManualClient client = new ManualClient(received);
    ObserverGrpc.newStub(channel).getFlows(GetFlowsRequest.newBuilder().setFollow(true).setNumber(1).build(), client);
    assertThat(second(received.poll(5, TimeUnit.SECONDS))).isEqualTo("0");

    // the client asks for nothing more while 20 flows arrive: the ring (7) holds only the last ones
    writeFlows(1, 20);
    assertThat(received.poll(100, TimeUnit.MILLISECONDS)).isNull();
    client.call.request(100);

    GetFlowsResponse lost = received.poll(5, TimeUnit.SECONDS);
    assertThat(lost.getLostEvents()).satisfies(event -> {
      assertThat(event.getSource()).isEqualTo(LostEventSource.HUBBLE_RING_BUFFER);
      assertThat(event.getNumEventsLost()).isEqualTo(13);
    });
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      after.add(second(received.poll(5, TimeUnit.SECONDS)));
    }
    assertThat(after).containsExactly("14", "15", "16", "17", "18", "19", "20");
    client.call.cancel("done", null);
  }

  @Test
  void shouldEndAReadOfTheBufferWhereItEndedWhenTheRequestCameEvenWhenLapped() throws Exception {
    serve(7);
    writeFlows(0, 6);
    BlockingQueue<GetFlowsResponse> received = new LinkedBlockingQueue<>();
    ManualClient client = new ManualClient(received);
    ObserverGrpc.newStub(channel).getFlows(GetFlowsRequest.newBuilder().setFirst(true).build(), client);
    assertThat(second(received.poll(5, TimeUnit.SECONDS))).isEqualTo("0");

    writeFlows(7, 26);
    client.call.request(100);

    // it missed 1..6 of what it asked for; 7..26 came after the request
    assertThat(second(received.poll(5, TimeUnit.SECONDS))).isEqualTo("lost:6");
    assertThat(client.completed.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(received).isEmpty();
  }

  /** A GetFlows client with manual flow control: it asks for one response, then only when told. */
  private static final class ManualClient implements ClientResponseObserver<GetFlowsRequest, GetFlowsResponse> {
    private final BlockingQueue<GetFlowsResponse> received;
    volatile ClientCallStreamObserver<GetFlowsRequest> call;
    final java.util.concurrent.CountDownLatch completed = new java.util.concurrent.CountDownLatch(1);

    ManualClient(BlockingQueue<GetFlowsResponse> received) {
      this.received = received;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<GetFlowsRequest> requests) {
      call = requests;
      requests.disableAutoRequestWithInitial(1);
    }

    @Override
    public void onNext(GetFlowsResponse response) {
      received.add(response);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {
      completed.countDown();
    }
  }

  @Test
  void shouldReportRingAndRateInServerStatus() throws Exception {
    serve(7);
    clock.advance(Duration.ofSeconds(10));
    writeFlows(0, 29);
    // a fresh agent's rate is over its uptime so far
    assertThat(stub.serverStatus(ServerStatusRequest.getDefaultInstance()).getFlowsRate()).isEqualTo(3.0);

    clock.advance(Duration.ofSeconds(110));
    writeFlows(30, 59);
    ServerStatusResponse status = stub.serverStatus(ServerStatusRequest.getDefaultInstance());

    assertThat(status.getNumFlows()).isEqualTo(7);
    assertThat(status.getMaxFlows()).isEqualTo(7);
    assertThat(status.getSeenFlows()).isEqualTo(60);
    assertThat(status.getUptimeNs()).isEqualTo(Duration.ofSeconds(120).toNanos());
    assertThat(status.getVersion()).isEqualTo("hexgate-test");
    assertThat(status.getFlowsRate()).isEqualTo(0.5);
    assertThat(status.hasNumConnectedNodes()).isFalse();
    assertThat(status.hasNumUnavailableNodes()).isFalse();
    assertThat(observer.status()).isEqualTo(status);
  }

  @Test
  void shouldListTheNamespacesSeenInTheLastHour() throws Exception {
    serve(15);
    observer.onFlow(Flow.newBuilder()
        .setSource(Endpoint.newBuilder().setNamespace("kube-system"))
        .setDestination(Endpoint.newBuilder().setNamespace("alpha")).build());
    clock.advance(Duration.ofMinutes(90));
    observer.onFlow(Flow.newBuilder()
        .setSource(Endpoint.newBuilder().setNamespace("zeta"))
        .setDestination(Endpoint.newBuilder().setClusterName("c2").setNamespace("alpha")).build());
    observer.onFlow(Flow.newBuilder()
        .setSource(Endpoint.newBuilder().setNamespace("alpha"))
        .setDestination(Endpoint.newBuilder().addLabels("reserved:world")).build());

    assertThat(stub.getNamespaces(GetNamespacesRequest.getDefaultInstance()).getNamespacesList()).containsExactly(
        Namespace.newBuilder().setNamespace("alpha").build(),
        Namespace.newBuilder().setNamespace("zeta").build(),
        Namespace.newBuilder().setCluster("c2").setNamespace("alpha").build());
  }

  @Test
  void shouldLeaveGetNodesToTheRelay() throws Exception {
    serve(15);

    assertThatThrownBy(() -> stub.getNodes(GetNodesRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }

  @Test
  void shouldAggregateNothingAwayFromAKernelLoss() throws Exception {
    serve(15);
    observer.onLost(LostEventSource.OBSERVER_EVENTS_QUEUE, 7, -1);

    LostEvent lost = all(GetFlowsRequest.getDefaultInstance()).get(0).getLostEvents();
    assertThat(lost.getSource()).isEqualTo(LostEventSource.OBSERVER_EVENTS_QUEUE);
    assertThat(lost.getNumEventsLost()).isEqualTo(7);
    assertThat(lost.hasCpu()).isFalse();
    assertThat(lost.getFirst()).isEqualTo(at(0));
  }
}
