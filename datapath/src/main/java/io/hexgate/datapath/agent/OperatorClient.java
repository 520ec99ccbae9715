package io.hexgate.datapath.agent;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.StateUpdates;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.CertificateRequest;
import io.hexgate.contract.v1.CertificateResponse;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointResult;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.contract.v1.StateUpdate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's end of {@code NodeAgent.Connect}: names its node, applies the snapshot and updates it
 * receives through a {@link DesiredStateApplier}, ACKs or NACKs each, and sends flow batches upstream.
 * When the stream ends it reconnects with backoff and says which revision it applied, so the operator
 * can resume with only the changes.
 *
 * <p>Flow control: the agent asks for one update at a time, after the previous one is applied and
 * acknowledged, so the operator coalesces what piles up meanwhile. Flow batches wait in a bounded queue
 * while the stream is not ready; when it is full the oldest batch is dropped and counted as lost.
 *
 * <p>With a {@link CertificateRotation} ({@link #renewing}), the agent asks for a new client certificate
 * on the stream once the current one is due for renewal, installs it and reconnects with it at once,
 * resuming from the revision it applied; the datapath keeps enforcing meanwhile.
 */
public final class OperatorClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OperatorClient.class);

  private final Channel channel;
  private final String node;
  private final DesiredStateApplier applier;
  private final ScheduledExecutorService scheduler;
  private final Backoff backoff;
  private final int maxPendingBatches;
  private final Supplier<KernelEnforcement> enforcement;
  private final Object lock = new Object();
  private volatile CertificateRotation rotation;
  private ScheduledFuture<?> renewal; // guarded by lock: the one renewal timer

  // guarded by lock
  private final ArrayDeque<FlowBatch> pendingFlows = new ArrayDeque<>();
  private long lostFlows;
  private Stream stream;
  private AgentState state = AgentState.EMPTY;
  private boolean awaitingSnapshot;
  private int failures;
  private boolean closed;
  private long connects;

  public OperatorClient(
      Channel channel,
      String node,
      DesiredStateApplier applier,
      ScheduledExecutorService scheduler,
      Backoff backoff,
      int maxPendingBatches) {
    this(channel, node, applier, () -> KernelEnforcement.not("the agent's applier enforces nothing in the kernel"),
        scheduler, backoff, maxPendingBatches);
  }

  /** @param enforcement read for every Hello and Ack: whether the kernel enforces what {@code applier} applies */
  public OperatorClient(
      Channel channel,
      String node,
      DesiredStateApplier applier,
      Supplier<KernelEnforcement> enforcement,
      ScheduledExecutorService scheduler,
      Backoff backoff,
      int maxPendingBatches) {
    this.enforcement = enforcement;
    this.channel = channel;
    this.node = node;
    this.applier = applier;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.maxPendingBatches = maxPendingBatches;
  }

  /**
   * Renews the client certificate {@code rotation} holds before it expires; call before {@link #start}.
   * The channel must present that certificate ({@link AgentCredentials#channel(String, CertificateRotation, String)}),
   * so that the reconnection after a renewal presents the new one.
   */
  public OperatorClient renewing(CertificateRotation rotation) {
    this.rotation = rotation;
    return this;
  }

  public void start() {
    CertificateRotation r = rotation;
    if (r != null) {
      renewAt(r.renewalTime());
    }
    connect();
  }

  /** The last state applied (the empty state before the first snapshot). */
  public AgentState state() {
    synchronized (lock) {
      return state;
    }
  }

  public boolean connected() {
    synchronized (lock) {
      return stream != null && stream.open;
    }
  }

  /** How many times a stream was opened; the first is 1. */
  public long connects() {
    synchronized (lock) {
      return connects;
    }
  }

  /**
   * Queues a batch for the operator; never blocks. Returns false if the queue was full and the oldest
   * batch was dropped to make room (its flows are reported as lost with the next batch sent).
   */
  public boolean sendFlows(FlowBatch batch) {
    boolean kept = true;
    synchronized (lock) {
      if (pendingFlows.size() >= maxPendingBatches) {
        FlowBatch dropped = pendingFlows.removeFirst();
        lostFlows += dropped.getFlowsCount() + dropped.getLost();
        kept = false;
      }
      pendingFlows.addLast(batch);
    }
    drainFlows();
    return kept;
  }

  @Override
  public void close() {
    Stream s;
    synchronized (lock) {
      closed = true;
      s = stream;
      stream = null;
    }
    if (s != null) {
      s.cancel("agent closing");
    }
  }

  private void connect() {
    Stream s = new Stream();
    Hello hello;
    synchronized (lock) {
      if (closed) {
        return;
      }
      stream = s;
      connects++;
      KernelEnforcement k = enforcement.get();
      hello =
          Hello.newBuilder()
              .setNode(node)
              .setEpoch(state.epoch())
              .setAppliedRevision(state.revision())
              .setEnforcing(k.enforcing())
              .setNotEnforcingReason(k.reason())
              .build();
      // whatever was rejected before, the operator answers a hello with a snapshot or a clean delta
      awaitingSnapshot = false;
    }
    // pod interfaces made while no operator could be reached drop until their endpoints arrive
    applier.guardInterfaces();
    NodeAgentGrpc.newStub(channel).connect(s);
    s.send(AgentMessage.newBuilder().setHello(hello).build());
    CertificateRotation r = rotation;
    if (r != null && r.due()) {
      s.requestCertificate(); // after the hello: the operator renews only for a node that said who it is
    }
  }

  private void reconnectLater(Stream ended, Status status) {
    long delayMs;
    synchronized (lock) {
      if (closed || stream != ended) {
        return;
      }
      stream = null;
      failures++;
      delayMs = backoff.delay(failures).toMillis();
    }
    log.info("stream to the operator for node {} ended ({}); reconnecting in {} ms", node, status, delayMs);
    scheduler.schedule(this::connect, delayMs, TimeUnit.MILLISECONDS);
  }

  private void renewAt(Instant when) {
    long ms = Math.max(0, Duration.between(Instant.now(), when).toMillis() + 1); // never before it
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (renewal != null) {
        renewal.cancel(false);
      }
      renewal = scheduler.schedule(this::renewIfDue, ms, TimeUnit.MILLISECONDS);
    }
  }

  /** On the open stream; without one, the next stream asks right after its hello. */
  private void renewIfDue() {
    Stream s;
    synchronized (lock) {
      if (closed) {
        return;
      }
      s = stream;
    }
    CertificateRotation r = rotation;
    if (r == null) {
      return;
    }
    if (!r.due()) {
      renewAt(r.renewalTime()); // woken early (clocks differ a little)
    } else if (s != null) {
      s.requestCertificate();
    }
  }

  /** Opens a new stream at once, without backoff: the old one ended on purpose (e.g. to use a new certificate). */
  private void reconnectNow(Stream ended) {
    synchronized (lock) {
      if (closed || stream != ended) {
        return;
      }
      stream = null;
      failures = 0;
    }
    scheduler.execute(this::connect);
  }

  private void drainFlows() {
    Stream s;
    synchronized (lock) {
      s = stream;
    }
    if (s != null) {
      s.drainFlows();
    }
  }

  /** One attempt: a call and its observer. */
  private final class Stream implements ClientResponseObserver<AgentMessage, OperatorMessage> {
    private ClientCallStreamObserver<AgentMessage> out;
    private volatile boolean open = true;
    private boolean certificateRequested; // guarded by this

    @Override
    public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
      out = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
      requestStream.setOnReadyHandler(this::drainFlows);
    }

    @Override
    public void onNext(OperatorMessage message) {
      synchronized (lock) {
        failures = 0; // the operator answered: the next failure starts the backoff afresh
      }
      if (message.getKindCase() == OperatorMessage.KindCase.UPDATE) {
        if (!handle(message.getUpdate())) {
          return;
        }
      } else if (message.getKindCase() == OperatorMessage.KindCase.CERTIFICATE) {
        if (!install(message.getCertificate())) {
          return;
        }
      }
      out.request(1);
    }

    void requestCertificate() {
      CertificateRotation r = rotation;
      synchronized (this) {
        if (!open || certificateRequested || r == null) {
          return;
        }
        certificateRequested = true;
        log.info("node {}: {} is due for renewal; asking the operator for a new one", node, r);
        out.onNext(AgentMessage.newBuilder().setCertificateRequest(CertificateRequest.newBuilder().setCsrPem(r.request())).build());
      }
    }

    /** Installs a renewed certificate and reconnects with it; false if the stream was ended for that. */
    private boolean install(CertificateResponse response) {
      CertificateRotation r = rotation;
      if (r == null) {
        return true;
      }
      X509Certificate cert;
      try {
        cert = r.install(response);
      } catch (RuntimeException e) {
        Duration retry = r.retryDelay();
        log.warn("node {}: certificate not renewed ({}); asking again in {}", node, e.getMessage(), retry);
        synchronized (this) {
          certificateRequested = false;
        }
        renewAt(Instant.now().plus(retry));
        return true;
      }
      log.info("node {}: renewed certificate {} (valid until {}) written to {}; reconnecting with it",
          node, cert.getSerialNumber().toString(16), cert.getNotAfter().toInstant(), r.directory());
      renewAt(r.renewalTime());
      cancel("reconnecting with a renewed certificate");
      reconnectNow(this);
      return false;
    }

    /** Applies and acknowledges one update; false if the stream was given up instead. */
    private boolean handle(StateUpdate u) {
      AgentState current;
      boolean waiting;
      synchronized (lock) {
        current = state;
        waiting = awaitingSnapshot;
      }
      if (!current.accepts(u)) {
        if (waiting) {
          return true; // sent before the operator saw our NACK; its snapshot follows
        }
        log.warn("node {}: update {} does not build on revision {}; resynchronising", node, u.getRevision(), current.revision());
        cancel("out of sequence");
        reconnectLater(this, Status.ABORTED.withDescription("out of sequence"));
        return false;
      }
      AgentState next = current.apply(u);
      Ack.Builder ack = Ack.newBuilder().setEpoch(u.getEpoch()).setRevision(u.getRevision());
      try {
        SnapshotGuard.check(u, current, next);
        Map<EndpointKey, String> errors = applier.apply(u, next);
        synchronized (lock) {
          state = next;
          awaitingSnapshot = false;
        }
        log.info("node {}: applied revision {} ({}){}", node, u.getRevision(), StateUpdates.describe(u),
            errors.isEmpty() ? "" : "; endpoints failed: " + errors.size());
        ack.setOk(true);
        errors.forEach(
            (k, e) -> ack.addEndpoints(EndpointResult.newBuilder().setEndpoint(k).setOk(false).setError(e)));
      } catch (Exception e) {
        log.warn("node {}: rejecting revision {}: {}", node, u.getRevision(), e.toString());
        synchronized (lock) {
          awaitingSnapshot = true;
        }
        ack.setOk(false).setError(e.getMessage() == null ? e.toString() : e.getMessage());
      }
      // read after applying: a revision can change it (e.g. the datapath found it cannot enforce)
      KernelEnforcement k = enforcement.get();
      ack.setEnforcing(k.enforcing()).setNotEnforcingReason(k.reason());
      send(AgentMessage.newBuilder().setAck(ack).build());
      return true;
    }

    void send(AgentMessage m) {
      synchronized (this) {
        if (open) {
          out.onNext(m);
        }
      }
    }

    void drainFlows() {
      synchronized (this) {
        while (open && out.isReady()) {
          FlowBatch next;
          synchronized (lock) {
            next = pendingFlows.pollFirst();
            if (next != null && lostFlows > 0) {
              next = next.toBuilder().setLost(next.getLost() + lostFlows).build();
              lostFlows = 0;
            }
          }
          if (next == null) {
            return;
          }
          out.onNext(AgentMessage.newBuilder().setFlows(next).build());
        }
      }
    }

    void cancel(String why) {
      synchronized (this) {
        if (open) {
          open = false;
          out.cancel(why, null);
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      open = false;
      Status status = Status.fromThrowable(t);
      if (status.getCode() == Status.Code.UNAUTHENTICATED) {
        log.error("node {}: the operator refuses this agent's certificate ({}); issue a new one with `hexgate agent-cert`",
            node, status.getDescription());
      }
      reconnectLater(this, status);
    }

    @Override
    public void onCompleted() {
      open = false;
      reconnectLater(this, Status.OK.withDescription("operator ended the stream"));
    }
  }
}
