package io.hexgate.operator.feed;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says when the engine has been fed everything the informers hold: every object in every controller's
 * cache when leading began (informers synced by then) has finished one reconcile since, or is gone. Until
 * then the engine is half filled, and a node state rendered from it would leave out endpoints and policies
 * that exist: agents are not served (see {@code NodeStateHub#holdUntilFed}). Sees reconciles through
 * JOSDK's metrics hooks, passing every call on to {@code delegate}.
 */
public final class FeedReadiness implements Metrics {
  private static final Logger LOG = LoggerFactory.getLogger(FeedReadiness.class);
  private static final String CONTROLLER_NAME = "controller.name";

  private final Metrics delegate;
  private final List<Controller<? extends HasMetadata>> controllers = new CopyOnWriteArrayList<>();
  private final List<Runnable> onFed = new CopyOnWriteArrayList<>();
  private final List<Runnable> onUnfed = new CopyOnWriteArrayList<>();
  private final Set<String> ignored = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  // guarded by lock
  private boolean tracking;
  private final Set<String> finished = new HashSet<>();
  private Set<String> pending;
  private boolean fed;

  public FeedReadiness(Metrics delegate) {
    this.delegate = delegate;
  }

  /** Leaves the controller named {@code controller} out: it feeds nothing to the engine. */
  public void ignore(String controller) {
    ignored.add(controller);
  }

  /** Runs {@code r} (on a reconcile or timer thread; it must only flip flags or schedule work) once fed. */
  public void onFed(Runnable r) {
    onFed.add(r);
  }

  /** Runs {@code r} whenever a feed starts or leading stops: serving must stop until the next one is done. */
  public void onUnfed(Runnable r) {
    onUnfed.add(r);
  }

  /** Whether the engine holds what the informers held when {@link #begin} ran. */
  public boolean fed() {
    synchronized (lock) {
      return fed;
    }
  }

  /** Starts recording finished reconciles: call before event processing starts. */
  public void track() {
    synchronized (lock) {
      tracking = true;
      fed = false;
      pending = null;
      finished.clear();
    }
    onUnfed.forEach(Runnable::run);
  }

  /**
   * The informers have synced: from now on, fed once every object in the controllers' caches has finished
   * a reconcile since {@link #track}.
   */
  public void begin() {
    Set<String> keys = cachedKeys();
    synchronized (lock) {
      keys.removeAll(finished);
      pending = keys;
      finished.clear();
      LOG.info("feeding the engine: waiting for the first reconcile of {} objects before serving agents", pending.size());
    }
    check();
  }

  /** Stops serving until the next {@link #track}/{@link #begin} (leadership lost). */
  public void reset() {
    synchronized (lock) {
      tracking = false;
      fed = false;
      pending = null;
      finished.clear();
    }
    onUnfed.forEach(Runnable::run);
  }

  /**
   * Forgets pending objects that left the caches (deleted before their reconcile: nothing to feed) and
   * declares the feed done when none is left. Runs after each reconcile and on a timer.
   */
  public void check() {
    Set<String> present = null;
    synchronized (lock) {
      if (fed || pending == null) {
        return;
      }
    }
    present = cachedKeys();
    boolean nowFed;
    synchronized (lock) {
      if (fed || pending == null) {
        return;
      }
      pending.retainAll(present);
      nowFed = pending.isEmpty();
      if (nowFed) {
        fed = true;
        tracking = false;
      }
    }
    if (nowFed) {
      LOG.info("the engine holds every object the informers held: serving agents");
      onFed.forEach(Runnable::run);
    }
  }

  /** Objects still waiting for their first reconcile, for logs: up to {@code limit} of them. */
  public List<String> pending(int limit) {
    synchronized (lock) {
      return pending == null ? List.of() : pending.stream().sorted().limit(limit).toList();
    }
  }

  private Set<String> cachedKeys() {
    Set<String> keys = new HashSet<>();
    for (Controller<? extends HasMetadata> c : controllers) {
      String name = c.getConfiguration().getName();
      if (ignored.contains(name)) {
        continue;
      }
      keys.addAll(
          c.getEventSourceManager().getControllerEventSource().keys()
              .map(id -> key(name, id))
              .collect(Collectors.toCollection(ArrayList::new)));
    }
    return keys;
  }

  private static String key(String controller, ResourceID id) {
    return controller + " " + id.getNamespace().map(n -> n + "/").orElse("") + id.getName();
  }

  private void done(String key) {
    boolean recheck;
    synchronized (lock) {
      if (!tracking) {
        return;
      }
      if (pending == null) {
        finished.add(key);
        return;
      }
      recheck = pending.remove(key) && pending.isEmpty();
    }
    if (recheck) {
      check();
    }
  }

  // ------------------------------------------------------------------------------- JOSDK metrics hooks

  @Override
  public void controllerRegistered(Controller<? extends HasMetadata> controller) {
    controllers.add(controller);
    delegate.controllerRegistered(controller);
  }

  @Override
  public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
    done(key(String.valueOf(metadata.get(CONTROLLER_NAME)), ResourceID.fromResource(resource)));
    delegate.finishedReconciliation(resource, metadata);
  }

  @Override
  public void cleanupDoneFor(ResourceID resourceID, Map<String, Object> metadata) {
    done(key(String.valueOf(metadata.get(CONTROLLER_NAME)), resourceID));
    delegate.cleanupDoneFor(resourceID, metadata);
  }

  @Override
  public void receivedEvent(Event event, Map<String, Object> metadata) {
    delegate.receivedEvent(event, metadata);
  }

  @Override
  public void reconcileCustomResource(HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
    delegate.reconcileCustomResource(resource, retryInfo, metadata);
  }

  @Override
  public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
    delegate.failedReconciliation(resource, exception, metadata);
  }

  @Override
  public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
    delegate.reconciliationExecutionStarted(resource, metadata);
  }

  @Override
  public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
    delegate.reconciliationExecutionFinished(resource, metadata);
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    return delegate.timeControllerExecution(execution);
  }

  @Override
  public <T extends Map<?, ?>> T monitorSizeOf(T map, String name) {
    return delegate.monitorSizeOf(map, name);
  }
}
