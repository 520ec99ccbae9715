package io.hexgate.contract.thread;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class DaemonThreadsTest {
  private final Logger logger = (Logger) LoggerFactory.getLogger(DaemonThreads.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @BeforeEach
  void capture() {
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void release() {
    logger.detachAppender(logged);
  }

  @Test
  void factoryThreadsAreNamedDaemons() throws Exception {
    AtomicReference<Thread> ran = new AtomicReference<>();
    ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.factory("hexgate-test-worker"));
    try {
      executor.submit(() -> ran.set(Thread.currentThread())).get(5, TimeUnit.SECONDS);
    } finally {
      executor.shutdownNow();
    }
    assertThat(ran.get().getName()).isEqualTo("hexgate-test-worker");
    assertThat(ran.get().isDaemon()).isTrue();
  }

  @Test
  void aThreadThatDiesOfAnExceptionIsLoggedWithIt() throws Exception {
    Thread t = DaemonThreads.start("hexgate-test-dying", () -> {
      throw new IllegalStateException("boom");
    });
    t.join(5000);
    assertThat(t.isAlive()).isFalse();
    assertThat(logged.list).singleElement().satisfies(e -> {
      assertThat(e.getLevel()).isEqualTo(Level.ERROR);
      assertThat(e.getFormattedMessage()).isEqualTo("thread hexgate-test-dying died");
      assertThat(e.getThrowableProxy().getMessage()).isEqualTo("boom");
    });
  }
}
