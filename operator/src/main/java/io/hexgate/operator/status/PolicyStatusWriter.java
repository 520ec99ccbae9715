package io.hexgate.operator.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.operator.kube.KubernetesErrors;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.policy.api.PolicyStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of CNP/CCNP status. Every {@code interval} (1 s) it takes the policies the {@link
 * PolicyStatusTracker} marked dirty, builds each one's status, and writes it through the status
 * subresource only when it differs from what was last written (or, the first time, from what the object
 * already has), so a policy gets at most one write per interval however many ACKs or flows arrived, and
 * none when nothing changed. A write is a JSON Patch of the status subresource holding only the fields
 * that differ (one node's entry, a counter), with the resourceVersion it was computed against as
 * precondition; a 409 is retried with the object read again. Condition transition times and the summary's
 * lastChange are kept while the condition or summary does not change.
 */
public final class PolicyStatusWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyStatusWriter.class);
  private static final int CONFLICT_RETRIES = 5;

  private final KubernetesClient client;
  private final PolicyStatusTracker tracker;
  private final Clock clock;
  private final Duration interval;
  private final BooleanSupplier leading;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<PolicyRef, Written> written = new ConcurrentHashMap<>();
  private final AtomicLong writes = new AtomicLong();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          DaemonThreads.factory("hexgate-policy-status"));

  /**
   * @param leading whether this replica leads now; a follower writes nothing (its dirty marks wait)
   */
  public PolicyStatusWriter(
      KubernetesClient client, PolicyStatusTracker tracker, Clock clock, Duration interval, BooleanSupplier leading) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("status interval must be positive, was " + interval);
    }
    this.client = client;
    this.tracker = tracker;
    this.clock = clock;
    this.interval = interval;
    this.leading = leading;
  }

  public void start() {
    long every = interval.toMillis();
    thread.scheduleWithFixedDelay(this::safeFlush, every, every, TimeUnit.MILLISECONDS);
  }

  /** Status writes so far (each successful PATCH of a status subresource). */
  public long writes() {
    return writes.get();
  }

  private void safeFlush() {
    try {
      flush();
    } catch (RuntimeException e) {
      if (!thread.isShutdown()) {
        LOG.warn("policy status pass failed", e);
      }
    }
  }

  /** One pass: writes what changed. Runs on the writer thread; public for tests. */
  public synchronized void flush() {
    if (!leading.getAsBoolean()) {
      return;
    }
    Set<PolicyRef> failed = new LinkedHashSet<>();
    for (PolicyRef ref : tracker.takeDirty()) {
      try {
        write(ref);
      } catch (KubernetesClientException e) {
        LOG.warn("{}: status write failed ({}), retrying next pass", ref, KubernetesErrors.describe(e));
        failed.add(ref);
      }
    }
    if (!failed.isEmpty()) {
      tracker.retry(failed);
    }
  }

  /** What was last written to a policy's status, and the object's resourceVersion after that write. */
  private record Written(PolicyStatus status, String resourceVersion) {}

  private void write(PolicyRef ref) {
    PolicyStatus desired = tracker.desired(ref);
    if (desired == null) {
      written.remove(ref);
      return;
    }
    Written last = written.get(ref);
    if (last != null && same(carryOver(desired, last.status()), last.status())) {
      return;
    }
    Resource<? extends CustomResource<?, PolicyStatus>> resource = resource(ref);
    for (int attempt = 0; ; attempt++) {
      if (last == null) {
        CustomResource<?, PolicyStatus> current = resource.get();
        if (current == null) {
          written.remove(ref);
          return;
        }
        last = new Written(current.getStatus(), current.getMetadata().getResourceVersion());
      }
      PolicyStatus next = carryOver(desired, last.status());
      if (same(next, last.status())) {
        written.put(ref, last);
        return;
      }
      try {
        String rv = patch(resource, last, next);
        writes.incrementAndGet();
        LOG.info("{}: status written (enforcing on {} of the selected nodes)", ref,
            next.enforcement == null ? "-" : next.enforcement.nodes);
        written.put(ref, new Written(next, rv));
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          written.remove(ref);
          return;
        }
        // 409: the object moved on since (a spec update, another writer); 422: an operation did not fit
        // the object as it is now (a member removed meanwhile). Either way: read it again, diff again.
        if ((e.getCode() != 409 && e.getCode() != 422) || attempt >= CONFLICT_RETRIES) {
          throw e;
        }
        last = null;
      }
    }
  }

  /**
   * A JSON Patch of the status subresource with one operation per field that differs from what the
   * object had, and the resourceVersion the difference was computed against as precondition (409 when it
   * is stale). Returns the object's resourceVersion after the write.
   */
  private String patch(
      Resource<? extends CustomResource<?, PolicyStatus>> resource, Written base, PolicyStatus next) {
    JsonNode from = base.status() == null ? null : json.valueToTree(base.status());
    ArrayNode ops = StatusPatch.of(base.resourceVersion(), "/status", from, json.valueToTree(next));
    CustomResource<?, PolicyStatus> after =
        resource.subresource("status").patch(PatchContext.of(PatchType.JSON), ops.toString());
    return after == null ? null : after.getMetadata().getResourceVersion();
  }

  @SuppressWarnings("unchecked")
  private Resource<? extends CustomResource<?, PolicyStatus>> resource(PolicyRef ref) {
    if (ref.kind().equals(PolicyRef.CCNP)) {
      return client.resources(CiliumClusterwideNetworkPolicy.class).withName(ref.name());
    }
    return client.resources(CiliumNetworkPolicy.class).inNamespace(ref.namespace()).withName(ref.name());
  }

  /**
   * {@code desired} with the transition time of every condition whose status did not flip since {@code
   * previous}, and the summary's lastChange while the summary's numbers did not change; new times now.
   */
  private PolicyStatus carryOver(PolicyStatus desired, PolicyStatus previous) {
    PolicyStatus next = json.convertValue(desired, PolicyStatus.class);
    String now = clock.instant().toString();
    Map<String, Condition> before = new HashMap<>();
    if (previous != null && previous.conditions != null) {
      previous.conditions.forEach(c -> before.put(c.getType(), c));
    }
    for (Condition c : next.conditions) {
      Condition old = before.get(c.getType());
      c.setLastTransitionTime(
          old != null && Objects.equals(old.getStatus(), c.getStatus()) && old.getLastTransitionTime() != null
              ? old.getLastTransitionTime()
              : now);
    }
    if (next.enforcement != null) {
      PolicyStatus.EnforcementSummary old = previous == null ? null : previous.enforcement;
      boolean unchanged =
          old != null
              && Objects.equals(old.enforcing, next.enforcement.enforcing)
              && Objects.equals(old.selectedNodes, next.enforcement.selectedNodes)
              && Objects.equals(old.revision, next.enforcement.revision)
              && old.lastChange != null;
      next.enforcement.lastChange = unchanged ? old.lastChange : now;
    }
    return next;
  }

  private boolean same(PolicyStatus a, PolicyStatus b) {
    if (b == null) {
      return false;
    }
    JsonNode x = json.valueToTree(a);
    JsonNode y = json.valueToTree(b);
    return x.equals(y);
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
