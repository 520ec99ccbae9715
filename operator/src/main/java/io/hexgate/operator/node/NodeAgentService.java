package io.hexgate.operator.node;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * The operator's end of {@code NodeAgent.Connect}: one {@link AgentSession} per connected agent, at most
 * one per node (a newer connection replaces an older one, as after an agent restart whose old stream has
 * not timed out yet).
 */
public final class NodeAgentService extends NodeAgentGrpc.NodeAgentImplBase {
  /** Whether an agent's claimed node must match a verified client certificate. */
  public enum Authentication {
    /** Production: the TLS layer must have verified the node (see {@link VerifiedNode}). */
    REQUIRE_CERTIFICATE,
    /** In-process tests only: trust the node the agent names. */
    TRUST_CLAIM
  }

  private final NodeStateHub hub;
  private final AgentReportListener reports;
  private final FlowBatchListener flows;
  private final Executor sender;
  private final Authentication authentication;
  private final BooleanSupplier serving;
  private final ConcurrentMap<String, AgentSession> sessions = new ConcurrentHashMap<>();
  private volatile AgentCertificates certificates = AgentCertificates.NONE;
  private volatile AgentBootstrap bootstrap = AgentBootstrap.NONE;

  /**
   * @param sender runs the work of sending updates (diffing and encoding) off the engine's thread
   */
  public NodeAgentService(
      NodeStateHub hub,
      AgentReportListener reports,
      FlowBatchListener flows,
      Executor sender,
      Authentication authentication) {
    this(hub, reports, flows, sender, authentication, () -> true);
  }

  /**
   * @param serving whether this replica serves agents now: a replica that is not the leader has no
   *     engine state, so it refuses agents (UNAVAILABLE) and they retry until they reach the leader
   */
  public NodeAgentService(
      NodeStateHub hub,
      AgentReportListener reports,
      FlowBatchListener flows,
      Executor sender,
      Authentication authentication,
      BooleanSupplier serving) {
    this.serving = serving;
    this.hub = hub;
    this.reports = reports;
    this.flows = flows;
    this.sender = sender;
    this.authentication = authentication;
  }

  @Override
  public StreamObserver<AgentMessage> connect(StreamObserver<OperatorMessage> responseObserver) {
    String verified = VerifiedNode.KEY.get();
    Status refusal = null;
    if (verified == null && authentication == Authentication.REQUIRE_CERTIFICATE) {
      refusal = Status.UNAUTHENTICATED.withDescription("no verified client certificate");
    } else if (!serving.getAsBoolean()) {
      refusal = Status.UNAVAILABLE.withDescription("this operator replica is not the leader");
    }
    if (refusal != null) {
      responseObserver.onError(refusal.asRuntimeException());
      return new StreamObserver<>() {
        @Override
        public void onNext(AgentMessage value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    X509Certificate certificate = VerifiedNode.CERTIFICATE.get();
    AgentSession session =
        new AgentSession(this, (ServerCallStreamObserver<OperatorMessage>) responseObserver, verified, certificate);
    session.start();
    return session;
  }

  /**
   * An agent without a certificate asks for its first one. Served by every replica, leading or not: it
   * needs the CA and the API server, not the engine.
   */
  @Override
  public void bootstrap(BootstrapRequest request, StreamObserver<BootstrapResponse> responseObserver) {
    try {
      responseObserver.onNext(bootstrap.bootstrap(request));
      responseObserver.onCompleted();
    } catch (StatusException e) {
      responseObserver.onError(e);
    }
  }

  /** Who issues agents their first certificate; none until set (bootstraps are then refused). */
  public void useBootstrap(AgentBootstrap bootstrap) {
    this.bootstrap = bootstrap;
  }

  /** Where revocations are looked up and renewals signed; none until set (renewals are then refused). */
  public void useCertificates(AgentCertificates certificates) {
    this.certificates = certificates;
  }

  AgentCertificates certificates() {
    return certificates;
  }

  /**
   * Ends the stream of every agent whose certificate is now revoked (UNAUTHENTICATED); called when the
   * deny list changes. Returns how many were ended.
   */
  public int endRevokedSessions() {
    int ended = 0;
    for (AgentSession s : sessions.values()) {
      if (s.endIfRevoked()) {
        ended++;
      }
    }
    return ended;
  }

  /** Nodes whose agent is connected now. */
  public Set<String> connectedNodes() {
    return Set.copyOf(sessions.keySet());
  }

  NodeStateHub hub() {
    return hub;
  }

  AgentReportListener reports() {
    return reports;
  }

  FlowBatchListener flows() {
    return flows;
  }

  Executor sender() {
    return sender;
  }

  void register(String node, AgentSession session) {
    AgentSession old = sessions.put(node, session);
    if (old != null) {
      old.abort(Status.ABORTED.withDescription("replaced by a newer connection from node " + node));
    }
    reports.connectionChanged(node, true);
  }

  void unregister(String node, AgentSession session) {
    if (sessions.remove(node, session)) {
      reports.connectionChanged(node, false);
    }
  }
}
