package io.hexgate.operator.node;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointResult;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.StateUpdate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A node agent for tests, speaking the real contract on a real gRPC channel: it applies updates to a map,
 * ACKs them (or NACKs on request) and, when told to, stops requesting updates to play a slow agent.
 */
final class TestingAgent {
  final String node;
  final List<StateUpdate> updates = new CopyOnWriteArrayList<>();
  final CompletableFuture<Status> closed = new CompletableFuture<>();
  final Map<String, EndpointState> endpoints = new TreeMap<>();
  final Map<String, Long> ipcache = new TreeMap<>();
  volatile String epoch = "";
  volatile long applied;
  volatile String nackWith;
  volatile Map<EndpointKey, String> endpointErrors = Map.of();
  volatile boolean autoRequest = true;
  volatile int baseMismatches;
  private ClientCallStreamObserver<AgentMessage> out;

  TestingAgent(String node) {
    this.node = node;
  }

  /** Opens the stream and says hello, naming what it applied before (empty epoch: nothing). */
  TestingAgent connect(Channel channel) {
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
                updates.add(m.getUpdate());
                apply(m.getUpdate());
                if (autoRequest) {
                  out.request(1);
                }
              }

              @Override
              public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                closed.complete(Status.OK);
              }
            });
    send(AgentMessage.newBuilder()
        .setHello(Hello.newBuilder().setNode(node).setEpoch(epoch).setAppliedRevision(applied))
        .build());
    return this;
  }

  void request(int n) {
    out.request(n);
  }

  void sendFlows(FlowBatch batch) {
    send(AgentMessage.newBuilder().setFlows(batch).build());
  }

  void disconnect() {
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
    Ack.Builder ack = Ack.newBuilder().setEpoch(u.getEpoch()).setRevision(u.getRevision());
    if (nackWith != null) {
      send(AgentMessage.newBuilder().setAck(ack.setOk(false).setError(nackWith)).build());
      return;
    }
    if (u.getSnapshot()) {
      endpoints.clear();
      ipcache.clear();
    }
    for (EndpointState e : u.getUpsertEndpointsList()) {
      endpoints.put(key(e.getKey()), e);
    }
    for (EndpointKey k : u.getRemoveEndpointsList()) {
      endpoints.remove(key(k));
    }
    for (IpcacheEntry e : u.getUpsertIpcacheList()) {
      ipcache.put(e.getPrefix(), e.getIdentity());
    }
    u.getRemoveIpcacheList().forEach(ipcache::remove);
    epoch = u.getEpoch();
    applied = u.getRevision();
    ack.setOk(true);
    endpointErrors.forEach(
        (k, err) -> ack.addEndpoints(EndpointResult.newBuilder().setEndpoint(k).setOk(false).setError(err)));
    send(AgentMessage.newBuilder().setAck(ack).build());
  }

  static String key(EndpointKey k) {
    return k.getNamespace() + "/" + k.getName();
  }

  long snapshots() {
    return updates.stream().filter(StateUpdate::getSnapshot).count();
  }
}
