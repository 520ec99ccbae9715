package io.hexgate.operator.node;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.EndpointResult;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's stream. Nothing is queued per agent: the session remembers the last state it sent and,
 * whenever the stream is ready, sends the difference to the node's latest state. Revisions published
 * while the agent is slow are therefore coalesced into one update (latest state wins), and memory per
 * agent is one state reference whatever the agent's speed.
 */
final class AgentSession implements StreamObserver<AgentMessage> {
  private static final Logger log = LoggerFactory.getLogger(AgentSession.class);

  private final NodeAgentService service;
  private final ServerCallStreamObserver<OperatorMessage> call;
  private final String verifiedNode;
  private final String epoch;
  private final AtomicBoolean pumpScheduled = new AtomicBoolean();
  private final Runnable onRevision = this::schedulePump;
  private final Object lock = new Object();

  // guarded by lock
  private String node;
  private NodeRevisions revisions;
  private NodeDesiredState sentState;
  private long sentRevision;
  private boolean needSnapshot = true;
  private long nackedRevision = -1;
  private boolean closed;

  AgentSession(NodeAgentService service, ServerCallStreamObserver<OperatorMessage> call, String verifiedNode) {
    this.service = service;
    this.call = call;
    this.verifiedNode = verifiedNode;
    this.epoch = service.hub().epoch();
  }

  void start() {
    // Inbound: one message at a time, requested after the previous one was handled.
    call.disableAutoRequest();
    call.request(1);
    // Outbound: send only when the transport can take it; onReady says when that is again.
    call.setOnReadyHandler(this::schedulePump);
    call.setOnCancelHandler(this::closed);
  }

  @Override
  public void onNext(AgentMessage message) {
    switch (message.getKindCase()) {
      case HELLO:
        hello(message.getHello());
        break;
      case ACK:
        ack(message.getAck());
        break;
      case FLOWS:
        String from = nodeOrNull();
        if (from == null) {
          fail(Status.FAILED_PRECONDITION.withDescription("flows before hello"));
          return;
        }
        try {
          service.flows().received(from, message.getFlows());
        } catch (RuntimeException e) {
          log.warn("flow listener failed on a batch from node {}", from, e);
        }
        break;
      default:
        fail(Status.INVALID_ARGUMENT.withDescription("empty agent message"));
        return;
    }
    synchronized (lock) {
      if (!closed) {
        call.request(1);
      }
    }
  }

  private void hello(Hello hello) {
    String claimed = hello.getNode();
    if (claimed.isEmpty()) {
      fail(Status.INVALID_ARGUMENT.withDescription("hello names no node"));
      return;
    }
    if (verifiedNode != null && !verifiedNode.equals(claimed)) {
      log.warn("agent with a certificate for node {} claimed node {}: refused", verifiedNode, claimed);
      fail(Status.PERMISSION_DENIED.withDescription(
          "certificate is for node " + verifiedNode + ", not " + claimed));
      return;
    }
    NodeRevisions r = service.hub().node(claimed);
    synchronized (lock) {
      if (node != null) {
        fail(Status.FAILED_PRECONDITION.withDescription("second hello"));
        return;
      }
      node = claimed;
      revisions = r;
      // Resume: if this operator instance still holds what the agent applied, send only the changes.
      if (epoch.equals(hello.getEpoch()) && hello.getAppliedRevision() > 0) {
        NodeDesiredState applied = r.at(hello.getAppliedRevision());
        if (applied != null) {
          sentState = applied;
          sentRevision = hello.getAppliedRevision();
          needSnapshot = false;
        }
      }
    }
    log.info(
        "agent for node {} connected (applied {}@{}, {})",
        claimed,
        hello.getAppliedRevision(),
        hello.getEpoch().isEmpty() ? "-" : hello.getEpoch(),
        needSnapshotNow() ? "snapshot" : "resuming");
    service.register(claimed, this);
    r.subscribe(onRevision);
    schedulePump();
  }

  private void ack(Ack ack) {
    String n;
    NodeRevisions r;
    synchronized (lock) {
      n = node;
      r = revisions;
      if (n == null) {
        fail(Status.FAILED_PRECONDITION.withDescription("ack before hello"));
        return;
      }
      if (!epoch.equals(ack.getEpoch())) {
        return; // about another operator instance's revision
      }
      if (!ack.getOk()) {
        // The agent kept its previous state: the next update must be a snapshot, sent at once if the
        // state moved on since the rejected revision, else at the next change (never the same again).
        needSnapshot = true;
        nackedRevision = Math.max(nackedRevision, ack.getRevision());
      }
    }
    Map<Endpoint.Key, String> errors = new HashMap<>();
    for (EndpointResult e : ack.getEndpointsList()) {
      if (!e.getOk()) {
        errors.put(ContractMessages.key(e.getEndpoint()), e.getError());
      }
    }
    NodeDesiredState at = r.at(ack.getRevision());
    Set<PolicyRef> policies = at == null ? Set.of() : at.policies();
    if (!ack.getOk()) {
      log.warn("node {} rejected revision {}: {}", n, ack.getRevision(), ack.getError());
      schedulePump();
    }
    try {
      service.reports().reported(new AgentReport(n, ack.getRevision(), ack.getOk(), ack.getError(), errors, policies));
    } catch (RuntimeException e) {
      log.warn("report listener failed on revision {} of node {}", ack.getRevision(), n, e);
    }
  }

  private boolean needSnapshotNow() {
    synchronized (lock) {
      return needSnapshot;
    }
  }

  private String nodeOrNull() {
    synchronized (lock) {
      return node;
    }
  }

  private void schedulePump() {
    if (pumpScheduled.compareAndSet(false, true)) {
      try {
        service.sender().execute(this::pump);
      } catch (RejectedExecutionException e) {
        // shutting down: this runs on the engine's thread, which must not fail because of it
        pumpScheduled.set(false);
        log.debug("not sending to node {}: sender stopped", nodeOrNull());
      }
    }
  }

  private void pump() {
    pumpScheduled.set(false);
    synchronized (lock) {
      if (closed || revisions == null || !call.isReady()) {
        return; // not ready: the onReady handler pumps again, and the latest state is sent then
      }
      if (!service.hub().serving()) {
        return; // the engine is still being fed: the hub wakes every session once it is
      }
      NodeRevisions.Published current = revisions.current();
      if (needSnapshot ? current.revision() <= nackedRevision : current.revision() == sentRevision) {
        return;
      }
      StateUpdate update =
          needSnapshot
              ? current.state().snapshot(epoch, current.revision(), true)
              : current.state().delta(sentState, epoch, sentRevision, current.revision());
      call.onNext(OperatorMessage.newBuilder().setUpdate(update).build());
      sentState = current.state();
      sentRevision = current.revision();
      needSnapshot = false;
    }
  }

  /** Ends the stream from the operator's side. */
  void abort(Status status) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      call.onError(status.asRuntimeException());
    }
    closed();
  }

  private void fail(Status status) {
    abort(status);
  }

  @Override
  public void onError(Throwable t) {
    closed();
  }

  @Override
  public void onCompleted() {
    synchronized (lock) {
      if (!closed) {
        call.onCompleted();
      }
    }
    closed();
  }

  private void closed() {
    String n;
    NodeRevisions r;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      n = node;
      r = revisions;
    }
    if (r != null) {
      r.unsubscribe(onRevision);
      service.unregister(n, this);
      log.info("agent for node {} disconnected", n);
    }
  }
}
