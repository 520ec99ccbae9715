package io.hexgate.datapath.netns;

import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.datapath.sys.LibC;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;

/**
 * One thread that lives in a network namespace and runs tasks there, in submission order. Sockets and
 * netlink handles a task opens belong to that namespace for their whole life, whichever thread uses them
 * later; interface indexes ({@link NetNs#ifIndex}) and tc attachments made by a task refer to it too.
 *
 * <p>Only the network namespace changes ({@code setns(CLONE_NEWNET)}): the mount namespace stays the
 * process's, so bpffs pins made elsewhere are visible here (unlike under {@code ip netns exec}). Threads
 * a task starts inherit the namespace, so a task must not be the first user of a shared pool (the common
 * ForkJoinPool, gRPC's event loops): those threads would stay in this namespace.
 */
public final class NetNsThread implements Executor, AutoCloseable {
  private static final Runnable STOP = () -> {};

  private final String name;
  private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  private NetNsThread(String name, Path nsFile) {
    this.name = name;
    CompletableFuture<Void> entered = new CompletableFuture<>();
    thread =
        DaemonThreads.start(
            "netns-" + name,
            () -> {
              try {
                setns(nsFile);
              } catch (RuntimeException e) {
                entered.completeExceptionally(e);
                return;
              }
              entered.complete(null);
              loop();
            });
    try {
      entered.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NetNsException("interrupted while entering network namespace " + name, e);
    } catch (ExecutionException e) {
      throw (RuntimeException) e.getCause();
    }
  }

  /** A thread inside the named namespace ({@code /var/run/netns/NAME}, as {@code ip netns add} makes). */
  public static NetNsThread enter(String name) {
    return new NetNsThread(name, NetNs.path(name));
  }

  /** A thread inside the namespace a file refers to, e.g. {@code /proc/PID/ns/net}. */
  public static NetNsThread enter(Path nsFile) {
    return new NetNsThread(nsFile.toString(), nsFile);
  }

  /**
   * Threads that enter the namespace a file refers to before they run anything: for thread pools whose
   * threads create sockets there (the L7 proxy's event loops), since a socket belongs to the namespace of
   * the thread that creates it. They are Netty {@code FastThreadLocalThread}s: on other threads Netty's
   * pooled allocator keeps no per-thread cache and every buffer goes through the shared arenas.
   */
  public static java.util.concurrent.ThreadFactory factory(String prefix, Path nsFile) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return r -> {
      // Netty's thread class: its event loops then use their fast thread-locals (buffer pool caches)
      Thread t = new io.netty.util.concurrent.FastThreadLocalThread(() -> {
        setns(nsFile);
        r.run();
      }, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  public String name() {
    return name;
  }

  private static void setns(Path nsFile) {
    LibC libc = LibC.get();
    int fd = libc.open(nsFile.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
    if (fd < 0) {
      throw new NetNsException("cannot open network namespace " + nsFile + ": " + LibC.lastError());
    }
    try {
      if (libc.setns(fd, LibC.CLONE_NEWNET) != 0) {
        throw new NetNsException("cannot enter network namespace " + nsFile + ": " + LibC.lastError());
      }
    } finally {
      libc.close(fd);
    }
  }

  private void loop() {
    while (true) {
      Runnable r;
      try {
        r = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (r == STOP) {
        return;
      }
      r.run(); // never throws: the task's failure goes to its future
    }
  }

  @Override
  public void execute(Runnable task) {
    submit(() -> {
      task.run();
      return null;
    });
  }

  /** Queues {@code task}; the future completes with its result or failure. */
  public <T> CompletableFuture<T> submit(Callable<T> task) {
    if (closed) {
      throw new RejectedExecutionException("the thread in network namespace " + name + " is closed");
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    queue.add(
        () -> {
          try {
            result.complete(task.call());
          } catch (Throwable t) {
            result.completeExceptionally(t);
          }
        });
    return result;
  }

  /** Runs {@code task} in the namespace and waits for it; its exception is rethrown as it was. */
  public <T> T call(Callable<T> task) throws Exception {
    if (Thread.currentThread() == thread) {
      return task.call();
    }
    try {
      return submit(task).get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw (Error) cause;
    }
  }

  /** Whether the calling thread is this one. */
  public boolean isCurrent() {
    return Thread.currentThread() == thread;
  }

  /** Lets queued tasks finish, then ends the thread (without waiting for it). */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      queue.add(STOP);
    }
  }
}
