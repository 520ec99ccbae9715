package io.hexgate.bench.observe;

import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.flow.EventFlows;
import io.hexgate.datapath.observe.AgentObserver;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.datapath.observe.ObserverServer;
import io.hexgate.observer.server.LocalObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One agent's flow path without its kernel: a ring-buffer record decoded as the agent's event reader
 * decodes it, made the contract's flow ({@link EventFlows}), then handed to the agent's {@link AgentObserver}
 * (named by {@code HubbleFlows}, kept in the {@code LocalObserver}'s ring, followers woken). Optionally
 * served over gRPC by the agent's own {@link ObserverServer} (plaintext, an ephemeral port). {@link #push}
 * is for one thread at a time, as the agent's event reader is.
 */
final class SimulatedAgent implements AutoCloseable {
  static final String VERSION = "hexgate-bench";

  private final String node;
  private final AgentWorkload workload;
  private final EventFlows eventFlows = new EventFlows();
  private final AgentObserver observer;
  private final ObserverServer server; // null when not served

  private SimulatedAgent(String node, AgentWorkload workload, AgentObserver observer, ObserverServer server) {
    this.node = node;
    this.workload = workload;
    this.observer = observer;
    this.server = server;
  }

  static SimulatedAgent start(String node, AgentWorkload workload, int ringCapacity, boolean serve) throws IOException {
    // port 0: AgentObserver starts no server of its own; the one below listens on an ephemeral port
    ObserveOptions options = new ObserveOptions(0, ringCapacity, null, "", 0, null);
    AgentObserver observer = AgentObserver.start(node, null, options, workload.names(), VERSION, () -> 0);
    ObserverServer server = null;
    if (serve) {
      try {
        server = ObserverServer.start(options, null, VERSION, observer.observer());
      } catch (IOException | RuntimeException e) {
        observer.close();
        throw e;
      }
    }
    return new SimulatedAgent(node, workload, observer, server);
  }

  /** Record {@code index} of the workload, stamped now, through the agent's whole path. */
  void push(int index) {
    observer.accept(flow(index));
  }

  /** Only the decoding and the contract flow (what {@link #push} does before naming the flow). */
  io.hexgate.contract.v1.Flow flow(int index) {
    Event e = decode(workload.record(index, System.nanoTime()));
    return eventFlows.toFlow(e, workload.rules());
  }

  static Event decode(byte[] record) {
    return Event.CODEC.read(ByteBuffer.wrap(record).order(ByteOrder.nativeOrder()));
  }

  String node() {
    return node;
  }

  LocalObserver observer() {
    return observer.observer();
  }

  int port() {
    if (server == null) {
      throw new IllegalStateException(node + " is not served");
    }
    return server.port();
  }

  String target() {
    return "127.0.0.1:" + port();
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    observer.close();
  }
}
