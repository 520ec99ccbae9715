package io.hexgate.operator.node.bench;

import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.StateUpdate;

/**
 * A simulated node agent for the operator benchmark, on the real contract: it applies every update to
 * the maps a node agent keeps (endpoints, IP cache, services) and ACKs it, with no datapath behind.
 */
final class BenchAgent {
  private final String node;
  private final AgentMaps maps = AgentMaps.plain();
  private String epoch = "";
  private long applied;
  private ClientCallStreamObserver<AgentMessage> out;

  BenchAgent(String node) {
    this.node = node;
  }

  BenchAgent connect(Channel channel) {
    io.hexgate.contract.v1.NodeAgentGrpc.newStub(channel)
        .connect(
            new ClientResponseObserver<AgentMessage, OperatorMessage>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
                out = requestStream;
              }

              @Override
              public void onNext(OperatorMessage m) {
                apply(m.getUpdate());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    send(AgentMessage.newBuilder().setHello(Hello.newBuilder().setNode(node).setEnforcing(true)).build());
    return this;
  }

  private synchronized void send(AgentMessage m) {
    out.onNext(m);
  }

  private synchronized void apply(StateUpdate u) {
    if (!u.getSnapshot() && (!u.getEpoch().equals(epoch) || u.getBaseRevision() != applied)) {
      return; // out of sequence: a real agent would resynchronise; this one waits for the next update
    }
    maps.apply(u);
    epoch = u.getEpoch();
    applied = u.getRevision();
    send(AgentMessage.newBuilder()
        .setAck(Ack.newBuilder().setEpoch(u.getEpoch()).setRevision(u.getRevision()).setOk(true).setEnforcing(true))
        .build());
  }

  void disconnect() {
    synchronized (this) {
      out.onCompleted();
    }
  }
}
