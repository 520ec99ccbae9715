package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.operator.kube.KubernetesErrors;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One controller's work queue: keys are reconciled one at a time on a thread of their own, a key queued
 * twice before its turn is reconciled once, and a key whose reconcile failed is retried after a growing
 * delay (as client-go's rate-limited queue does), so a conflict or a brief API error heals by itself.
 */
public final class ReconcileLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReconcileLoop.class);
  private static final Duration FIRST_RETRY = Duration.ofMillis(100);
  private static final Duration LAST_RETRY = Duration.ofSeconds(10);

  private final String name;
  private final Consumer<String> reconcile;
  private final ScheduledExecutorService thread;
  private final Object lock = new Object();
  private final LinkedHashSet<String> pending = new LinkedHashSet<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private boolean scheduled;
  private volatile boolean closed;

  public ReconcileLoop(String name, Consumer<String> reconcile) {
    this.name = name;
    this.reconcile = reconcile;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.factory("hexgate-lab-" + name));
  }

  public void enqueue(String key) {
    synchronized (lock) {
      if (closed || !pending.add(key) || scheduled) {
        return;
      }
      scheduled = true;
    }
    thread.execute(this::drain);
  }

  public void enqueueAfter(String key, Duration delay) {
    if (!closed) {
      thread.schedule(() -> enqueue(key), delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Queues {@code key} now and every {@code period}, for work that also runs on a timer. */
  public void enqueueEvery(String key, Duration period) {
    thread.scheduleAtFixedRate(() -> enqueue(key), 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void drain() {
    while (true) {
      String key;
      synchronized (lock) {
        if (pending.isEmpty() || closed) {
          scheduled = false;
          return;
        }
        key = pending.iterator().next();
        pending.remove(key);
      }
      try {
        reconcile.accept(key);
        failures.remove(key);
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        int n = failures.merge(key, 1, Integer::sum);
        long delay = Math.min(LAST_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(n - 1, 10));
        // a conflict means someone wrote first: the retry reads the new version, as controllers do
        boolean conflict = e instanceof KubernetesClientException k && k.getCode() == 409;
        if (conflict && n < 5) {
          log.debug("{}: {} changed meanwhile, retrying in {} ms", name, key, delay);
        } else {
          log.warn("{}: reconciling {} failed (attempt {}), retrying in {} ms: {}", name, key, n, delay,
              e instanceof KubernetesClientException k ? KubernetesErrors.describe(k) : e.toString());
        }
        enqueueAfter(key, Duration.ofMillis(delay));
      }
    }
  }

  /** True when no key waits or is being reconciled; for callers that wait for the lab to settle. */
  public boolean idle() {
    synchronized (lock) {
      return pending.isEmpty() && !scheduled;
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
  }
}
