package io.hexgate.operator.node.bench;

import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import java.util.HashMap;
import java.util.Map;

/**
 * A simulated node agent for the operator benchmark, on the real contract: it applies every update to
 * the maps a node agent keeps (endpoints, IP cache, services) and ACKs it, with no datapath behind.
 */
final class BenchAgent {
  private final String node;
  private final Map<String, EndpointState> endpoints = new HashMap<>();
  private final Map<String, Long> ipcache = new HashMap<>();
  private final Map<String, ServiceState> services = new HashMap<>();
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
    send(AgentMessage.newBuilder().setHello(Hello.newBuilder().setNode(node)).build());
    return this;
  }

  private synchronized void send(AgentMessage m) {
    out.onNext(m);
  }

  private synchronized void apply(StateUpdate u) {
    if (!u.getSnapshot() && (!u.getEpoch().equals(epoch) || u.getBaseRevision() != applied)) {
      return; // out of sequence: a real agent would resynchronise; this one waits for the next update
    }
    if (u.getSnapshot()) {
      endpoints.clear();
      ipcache.clear();
      services.clear();
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
    for (ServiceState s : u.getUpsertServicesList()) {
      services.put(frontend(s.getFrontend()), s);
    }
    for (ServiceFrontend f : u.getRemoveServicesList()) {
      services.remove(frontend(f));
    }
    epoch = u.getEpoch();
    applied = u.getRevision();
    send(AgentMessage.newBuilder()
        .setAck(Ack.newBuilder().setEpoch(u.getEpoch()).setRevision(u.getRevision()).setOk(true))
        .build());
  }

  private static String key(EndpointKey k) {
    return k.getNamespace() + "/" + k.getName();
  }

  private static String frontend(ServiceFrontend f) {
    return f.getIp() + ":" + f.getPort() + "/" + f.getProtocol();
  }

  void disconnect() {
    synchronized (this) {
      out.onCompleted();
    }
  }
}
