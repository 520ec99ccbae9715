package io.hexgate.operator.node;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.StateUpdates;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.CertificateRequest;
import io.hexgate.contract.v1.CertificateResponse;
import io.hexgate.contract.v1.EndpointResult;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import java.security.cert.X509Certificate;
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
  /** The client certificate the stream authenticated with; null only with TRUST_CLAIM. */
  private final X509Certificate certificate;
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
  private boolean renewed;

  AgentSession(
      NodeAgentService service,
      ServerCallStreamObserver<OperatorMessage> call,
      String verifiedNode,
      X509Certificate certificate) {
    this.service = service;
    this.call = call;
    this.verifiedNode = verifiedNode;
    this.certificate = certificate;
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
      case CERTIFICATE_REQUEST:
        if (!renew(message.getCertificateRequest())) {
          return;
        }
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
    if (endIfRevoked()) {
      return;
    }
    if (certificate != null) {
      log.info("node {} authenticated with certificate {} (valid until {})",
          claimed, serial(), certificate.getNotAfter().toInstant());
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
    if (!hello.getEnforcing()) {
      log.warn("agent for node {} does not enforce in the kernel: {}", claimed, hello.getNotEnforcingReason());
    }
    try {
      service.reports().kernelEnforcement(claimed, hello.getEnforcing(), hello.getNotEnforcingReason());
    } catch (RuntimeException e) {
      log.warn("report listener failed on the hello of node {}", claimed, e);
    }
    service.register(claimed, this);
    r.subscribe(onRevision);
    schedulePump();
  }

  /**
   * Signs the agent's request for a new certificate, for the node its current certificate names and
   * nothing else; a refusal is answered, not fatal. False if the stream was ended instead.
   */
  private boolean renew(CertificateRequest request) {
    String n = nodeOrNull();
    if (n == null) {
      fail(Status.FAILED_PRECONDITION.withDescription("certificate request before hello"));
      return false;
    }
    if (endIfRevoked()) {
      return false;
    }
    CertificateResponse response;
    boolean again;
    synchronized (lock) {
      again = renewed;
    }
    if (verifiedNode == null) {
      response = CertificateResponse.newBuilder().setError("this stream has no client certificate to renew").build();
    } else if (again) {
      // one certificate per stream: the agent reconnects with it, so signing stays bounded by handshakes
      response = CertificateResponse.newBuilder()
          .setError("a certificate was issued on this stream already; reconnect with it").build();
    } else {
      try {
        response = service.certificates().renew(verifiedNode, request.getCsrPem());
        synchronized (lock) {
          renewed = true;
        }
        log.info("renewed the certificate of node {} (was {})", verifiedNode, serial());
      } catch (IllegalArgumentException e) {
        log.warn("refused a certificate request from node {} (certificate {}): {}", verifiedNode, serial(), e.getMessage());
        response = CertificateResponse.newBuilder().setError(e.getMessage()).build();
      }
    }
    synchronized (lock) {
      if (closed) {
        return false;
      }
      call.onNext(OperatorMessage.newBuilder().setCertificate(response).build());
    }
    return true;
  }

  /** Ends this stream if its certificate is on the deny list now; true if it did (or had ended). */
  boolean endIfRevoked() {
    if (certificate == null || !service.certificates().revoked(certificate.getSerialNumber())) {
      return false;
    }
    String n = verifiedNode;
    log.warn("closing the stream of node {}: its certificate {} is revoked", n, serial());
    abort(Status.UNAUTHENTICATED.withDescription("certificate " + serial() + " of node " + n + " is revoked"));
    return true;
  }

  private String serial() {
    return certificate == null ? "-" : certificate.getSerialNumber().toString(16);
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
      service.reports().reported(new AgentReport(n, ack.getRevision(), ack.getOk(), ack.getError(), errors, policies,
          ack.getEnforcing(), ack.getNotEnforcingReason()));
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
      log.info("node {}: sent revision {} ({})", node, update.getRevision(), StateUpdates.describe(update));
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
