package io.hexgate.datapath.enforce;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.StateUpdate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An operator for agent and datapath tests: holds each node's desired state as a snapshot and sends it to
 * the node's agent when it connects (as the real operator answers a restarted agent) and whenever the test
 * publishes a new one; or sends exactly the updates a test scripts ({@link #send}). Records hellos, acks
 * and flows.
 */
public final class ScriptedOperator extends NodeAgentGrpc.NodeAgentImplBase {
  private static final String EPOCH = "test-epoch";

  public final Map<String, List<Ack>> acks = new ConcurrentHashMap<>();
  public final List<Flow> flows = new CopyOnWriteArrayList<>();
  /** The batches the flows came in, with what each says the agent lost before it. */
  public final List<FlowBatch> flowBatches = new CopyOnWriteArrayList<>();
  public final List<io.hexgate.contract.v1.Hello> hellos = new CopyOnWriteArrayList<>();
  private final Map<String, StateUpdate> desired = new ConcurrentHashMap<>();
  private final Map<String, Long> revisions = new ConcurrentHashMap<>();
  private final Map<String, ServerCallStreamObserver<OperatorMessage>> streams = new ConcurrentHashMap<>();
  private boolean refusing;

  /** Makes {@code snapshot} (its epoch and revision are set here) the node's state and sends it. Returns the revision. */
  public synchronized long publish(String node, StateUpdate.Builder snapshot) {
    long revision = revisions.merge(node, 1L, Long::sum);
    StateUpdate u =
        snapshot.setEpoch(EPOCH).setRevision(revision).setBaseRevision(0).setSnapshot(true).setComplete(true).build();
    desired.put(node, u);
    ServerCallStreamObserver<OperatorMessage> s = streams.get(node);
    if (s != null) {
      send(s, u);
    }
    return revision;
  }

  /** The last ack of {@code node} for {@code revision}, or null. */
  public Ack ack(String node, long revision) {
    for (Ack a : acks.getOrDefault(node, List.of())) {
      if (a.getRevision() == revision) {
        return a;
      }
    }
    return null;
  }

  /** Every ack of {@code node}, oldest first. */
  public List<Ack> acksOf(String node) {
    return acks.getOrDefault(node, List.of());
  }

  /** Sends {@code u} as it is to {@code node}'s agent, outside the published state: a scripted update. */
  public void send(String node, StateUpdate u) {
    send(streams.get(node), u);
  }

  /** Ends {@code node}'s stream, as an operator restart or a network failure would; the agent may reconnect. */
  public synchronized void drop(String node) {
    streams.remove(node).onError(io.grpc.Status.UNAVAILABLE.withDescription("test drops the stream").asRuntimeException());
  }

  public long revision(String node) {
    return revisions.getOrDefault(node, 0L);
  }

  private static synchronized void send(ServerCallStreamObserver<OperatorMessage> s, StateUpdate u) {
    s.onNext(OperatorMessage.newBuilder().setUpdate(u).build());
  }

  /** Ends every agent's stream and refuses new ones (UNAVAILABLE) until {@link #serve}: the operator is gone. */
  public synchronized void disconnectAll() {
    refusing = true;
    for (ServerCallStreamObserver<OperatorMessage> s : streams.values()) {
      try {
        s.onError(io.grpc.Status.UNAVAILABLE.withDescription("scripted operator gone").asRuntimeException());
      } catch (RuntimeException ignored) {
        // the stream ended meanwhile
      }
    }
    streams.clear();
  }

  /** Accepts agents again. */
  public synchronized void serve() {
    refusing = false;
  }

  public boolean connected(String node) {
    return streams.containsKey(node);
  }

  @Override
  public StreamObserver<AgentMessage> connect(StreamObserver<OperatorMessage> responseObserver) {
    ServerCallStreamObserver<OperatorMessage> call = (ServerCallStreamObserver<OperatorMessage>) responseObserver;
    synchronized (this) {
      if (refusing) {
        call.onError(io.grpc.Status.UNAVAILABLE.withDescription("scripted operator gone").asRuntimeException());
      }
    }
    return new StreamObserver<>() {
      private String node;

      @Override
      public void onNext(AgentMessage m) {
        switch (m.getKindCase()) {
          case HELLO -> {
            node = m.getHello().getNode();
            synchronized (ScriptedOperator.this) {
              if (refusing) {
                hellos.add(m.getHello());
                return;
              }
              streams.put(node, call);
              // recorded once the stream is registered: a test that saw the hello can send on it
              hellos.add(m.getHello());
              StateUpdate u = desired.get(node);
              if (u != null) {
                // a fresh revision of the same state: the agent applies it whatever it held
                long revision = revisions.merge(node, 1L, Long::sum);
                u = u.toBuilder().setRevision(revision).build();
                desired.put(node, u);
                send(call, u);
              }
            }
          }
          case ACK -> acks.computeIfAbsent(node, n -> new CopyOnWriteArrayList<>()).add(m.getAck());
          case FLOWS -> {
            flowBatches.add(m.getFlows());
            flows.addAll(m.getFlows().getFlowsList());
          }
          default -> {}
        }
      }

      @Override
      public void onError(Throwable t) {
        streams.remove(node, call);
      }

      @Override
      public void onCompleted() {
        streams.remove(node, call);
        call.onCompleted();
      }
    };
  }
}
