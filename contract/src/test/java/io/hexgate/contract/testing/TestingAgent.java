package io.hexgate.contract.testing;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointResult;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A node agent for tests and for the operator benchmark, speaking the real contract on a real gRPC channel:
 * it applies updates to maps, ACKs them (or NACKs on request) and, when told to, stops requesting updates to
 * play a slow agent. There is no datapath behind it.
 */
public final class TestingAgent {
  public final String node;
  /** Every update received, in order; empty for a {@link #simulated} agent. */
  public final List<StateUpdate> updates = new CopyOnWriteArrayList<>();
  public final CompletableFuture<Status> closed = new CompletableFuture<>();
  private final boolean recording;
  private final AgentMaps maps;
  /** "namespace/name" to the endpoint's state. */
  public final Map<String, EndpointState> endpoints;
  /** Prefix to identity. */
  public final Map<String, Long> ipcache;
  /** Frontend "ip:port/PROTOCOL" to its service state. */
  public final Map<String, ServiceState> services;
  public volatile String epoch = "";
  public volatile long applied;
  /** Non-null: every update is NACKed with this error. */
  public volatile String nackWith;
  /** Null: the kernel enforces; else why not, as an agent on the Java datapath says in its Hello and Acks. */
  public volatile String notEnforcing;
  /** With {@link #connectInTurn}: the operator addresses, tried one after the other. */
  private volatile List<? extends Channel> targets;
  private volatile int next;
  private volatile boolean stopping;
  private final java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
  private static final java.util.concurrent.ScheduledExecutorService RETRY =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          DaemonThreads.factory("testing-agent-retry"));
  /** Endpoints whose ACKs report these errors (the update itself is ACKed). */
  public volatile Map<EndpointKey, String> endpointErrors = Map.of();
  /** False: after an update the agent requests no more until {@link #request}, as a slow agent would. */
  public volatile boolean autoRequest = true;
  /** Deltas that did not build on what the agent applied, and were dropped. */
  public volatile int baseMismatches;
  private ClientCallStreamObserver<AgentMessage> out;

  public TestingAgent(String node) {
    this(node, true, AgentMaps.concurrent());
  }

  private TestingAgent(String node, boolean recording, AgentMaps maps) {
    this.node = node;
    this.recording = recording;
    this.maps = maps;
    this.endpoints = maps.endpoints;
    this.ipcache = maps.ipcache;
    this.services = maps.services;
  }

  /**
   * An agent for the operator benchmark, which runs thousands: it keeps no log of updates (they would
   * count in the heap the benchmark measures) and its maps are read only by the thread applying updates.
   */
  public static TestingAgent simulated(String node) {
    return new TestingAgent(node, false, AgentMaps.plain());
  }

  /** An agent whose kernel does not enforce, e.g. on the Java datapath; set before connecting. */
  public TestingAgent notEnforcing(String reason) {
    this.notEnforcing = reason;
    return this;
  }

  /**
   * Connects to the first of {@code operators} and, whenever the stream ends (the replica died, or
   * refused because it does not lead), to the next one after a short pause, resuming from what it
   * applied: what an agent given every replica's address does. Stops on {@link #disconnect()}.
   */
  public TestingAgent connectInTurn(List<? extends Channel> operators) {
    targets = List.copyOf(operators);
    return connect(targets.get(0));
  }

  /** Streams opened so far. */
  public int connects() {
    return connects.get();
  }

  private void retry() {
    if (stopping || targets == null) {
      return;
    }
    next = (next + 1) % targets.size();
    RETRY.schedule(() -> {
      if (!stopping) {
        connect(targets.get(next));
      }
    }, 100, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Opens the stream and says hello, naming what it applied before (empty epoch: nothing). */
  public TestingAgent connect(Channel channel) {
    connects.incrementAndGet();
    NodeAgentGrpc.newStub(channel)
        .connect(
            new ClientResponseObserver<AgentMessage, OperatorMessage>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
                out = requestStream;
                requestStream.disableAutoRequestWithInitial(1);
              }

              @Override
              public void onNext(OperatorMessage m) {
                if (recording) {
                  updates.add(m.getUpdate());
                }
                apply(m.getUpdate());
                if (autoRequest) {
                  out.request(1);
                }
              }

              @Override
              public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
                retry();
              }

              @Override
              public void onCompleted() {
                closed.complete(Status.OK);
                retry();
              }
            });
    send(AgentMessage.newBuilder()
        .setHello(Hello.newBuilder().setNode(node).setEpoch(epoch).setAppliedRevision(applied)
            .setEnforcing(notEnforcing == null).setNotEnforcingReason(notEnforcing == null ? "" : notEnforcing))
        .build());
    return this;
  }

  public void request(int n) {
    out.request(n);
  }

  public void sendFlows(FlowBatch batch) {
    send(AgentMessage.newBuilder().setFlows(batch).build());
  }

  public void disconnect() {
    stopping = true;
    synchronized (this) {
      out.onCompleted();
    }
  }

  private synchronized void send(AgentMessage m) {
    out.onNext(m);
  }

  private synchronized void apply(StateUpdate u) {
    if (!u.getSnapshot() && (!u.getEpoch().equals(epoch) || u.getBaseRevision() != applied)) {
      baseMismatches++;
      return;
    }
    Ack.Builder ack = Ack.newBuilder().setEpoch(u.getEpoch()).setRevision(u.getRevision())
        .setEnforcing(notEnforcing == null).setNotEnforcingReason(notEnforcing == null ? "" : notEnforcing);
    if (nackWith != null) {
      send(AgentMessage.newBuilder().setAck(ack.setOk(false).setError(nackWith)).build());
      return;
    }
    maps.apply(u);
    epoch = u.getEpoch();
    applied = u.getRevision();
    ack.setOk(true);
    endpointErrors.forEach(
        (k, err) -> ack.addEndpoints(EndpointResult.newBuilder().setEndpoint(k).setOk(false).setError(err)));
    send(AgentMessage.newBuilder().setAck(ack).build());
  }

  public static String frontend(ServiceFrontend f) {
    return AgentMaps.frontend(f);
  }

  public static String key(EndpointKey k) {
    return AgentMaps.key(k);
  }

  public long snapshots() {
    return updates.stream().filter(StateUpdate::getSnapshot).count();
  }
}
