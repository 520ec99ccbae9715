package io.hexgate.datapath.agent;

import io.hexgate.contract.StateUpdates;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointResult;
import io.hexgate.contract.v1.StateUpdate;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of revisions: the state it applied, applying each update through a
 * {@link DesiredStateApplier} and the Ack (or NACK) that answers it, and after a NACK waiting for the
 * snapshot the operator sends next.
 */
final class AppliedRevisions {
  private static final Logger log = LoggerFactory.getLogger(AppliedRevisions.class);

  /** An update that does not build on the revision applied: the stream must start again from it. */
  static final class OutOfSequence extends Exception {
    OutOfSequence(String message) {
      super(message);
    }
  }

  private final String node;
  private final DesiredStateApplier applier;
  private final Supplier<KernelEnforcement> enforcement;
  private AgentState state = AgentState.EMPTY; // guarded by this
  private boolean awaitingSnapshot; // guarded by this

  AppliedRevisions(String node, DesiredStateApplier applier, Supplier<KernelEnforcement> enforcement) {
    this.node = node;
    this.applier = applier;
    this.enforcement = enforcement;
  }

  synchronized AgentState state() {
    return state;
  }

  /** The state a new stream's hello names; whatever was rejected before, the operator answers a hello with a snapshot or a clean delta. */
  synchronized AgentState newStream() {
    awaitingSnapshot = false;
    return state;
  }

  /**
   * Applies {@code u} and returns its Ack (a NACK when it could not be applied); empty for an update sent
   * before the operator saw our NACK (its snapshot follows).
   */
  Optional<Ack> apply(StateUpdate u) throws OutOfSequence {
    AgentState current;
    boolean waiting;
    synchronized (this) {
      current = state;
      waiting = awaitingSnapshot;
    }
    if (!current.accepts(u)) {
      if (waiting) {
        return Optional.empty();
      }
      throw new OutOfSequence("update " + u.getRevision() + " does not build on revision " + current.revision());
    }
    AgentState next = current.apply(u);
    Ack.Builder ack = Ack.newBuilder().setEpoch(u.getEpoch()).setRevision(u.getRevision());
    try {
      SnapshotGuard.check(u, current, next);
      Map<EndpointKey, String> errors = applier.apply(u, next);
      synchronized (this) {
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
      synchronized (this) {
        awaitingSnapshot = true;
      }
      ack.setOk(false).setError(e.getMessage() == null ? e.toString() : e.getMessage());
    }
    // read after applying: a revision can change it (e.g. the datapath found it cannot enforce)
    KernelEnforcement k = enforcement.get();
    return Optional.of(ack.setEnforcing(k.enforcing()).setNotEnforcingReason(k.reason()).build());
  }
}
