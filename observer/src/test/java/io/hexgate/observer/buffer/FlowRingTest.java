package io.hexgate.observer.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FlowRingTest {
  private static Flow flow(long second) {
    return Flow.newBuilder().setTime(Timestamp.newBuilder().setSeconds(second)).build();
  }

  private static long second(RingEntry entry) {
    return ((RingEntry.FlowEntry) entry).flow().getTime().getSeconds();
  }

  @Test
  void shouldAcceptOnlyCapacitiesOneLessThanAPowerOfTwo() {
    assertThat(new FlowRing(1).capacity()).isEqualTo(1);
    assertThat(new FlowRing(FlowRing.DEFAULT_CAPACITY).capacity()).isEqualTo(4095);
    assertThat(new FlowRing(65535).capacity()).isEqualTo(65535);
    for (int wrong : new int[] {0, -1, 2, 4096, 5000}) {
      assertThatThrownBy(() -> new FlowRing(wrong))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("one less than a power of two")
          .hasMessageContaining(String.valueOf(wrong));
    }
  }

  @Test
  void shouldKeepOnlyTheNewestEntriesWhenFull() {
    FlowRing ring = new FlowRing(7);
    for (int i = 0; i < 10; i++) {
      ring.write(flow(i));
    }
    ring.lost(LostEventSource.OBSERVER_EVENTS_QUEUE, 4);

    assertThat(ring.size()).isEqualTo(7);
    assertThat(ring.flowsWritten()).isEqualTo(10);
    assertThat(ring.nextSequence()).isEqualTo(11);
    assertThat(ring.oldestSequence()).isEqualTo(4);
    RingReader reader = ring.readFromOldest();
    List<Long> seconds = new ArrayList<>();
    RingEntry entry;
    while ((entry = reader.next()) instanceof RingEntry.FlowEntry) {
      seconds.add(second(entry));
    }
    assertThat(seconds).containsExactly(4L, 5L, 6L, 7L, 8L, 9L);
    assertThat(entry).isInstanceOfSatisfying(RingEntry.LostEntry.class, lost -> {
      assertThat(lost.event().getSource()).isEqualTo(LostEventSource.OBSERVER_EVENTS_QUEUE);
      assertThat(lost.event().getNumEventsLost()).isEqualTo(4);
    });
    assertThat(reader.next()).isNull();
  }

  @Test
  void shouldWalkBackwardsFromTheNewestToTheOldestHeld() {
    FlowRing ring = new FlowRing(3);
    for (int i = 0; i < 5; i++) {
      ring.write(flow(i));
    }
    RingReader reader = ring.readFromNewest();
    List<Long> seconds = new ArrayList<>();
    RingEntry entry;
    while ((entry = reader.previous()) != null) {
      seconds.add(second(entry));
    }
    assertThat(seconds).containsExactly(4L, 3L, 2L);
    assertThat(reader.position()).isEqualTo(2);
    assertThat(second(reader.next())).isEqualTo(2);
  }

  @Test
  void shouldTellAReaderTheWriterLappedHowManyEntriesItMissed() {
    FlowRing ring = new FlowRing(3);
    RingReader reader = ring.readFromNewest();
    for (int i = 0; i < 8; i++) {
      ring.write(flow(i));
    }

    RingEntry lost = reader.next();
    assertThat(lost).isInstanceOfSatisfying(RingEntry.LostEntry.class, l -> {
      assertThat(l.event().getSource()).isEqualTo(LostEventSource.HUBBLE_RING_BUFFER);
      assertThat(l.event().getNumEventsLost()).isEqualTo(5);
    });
    assertThat(second(reader.next())).isEqualTo(5);
    assertThat(second(reader.next())).isEqualTo(6);
    assertThat(second(reader.next())).isEqualTo(7);
    assertThat(reader.next()).isNull();
  }

  @Test
  void shouldWakeAWaitingFollowerWhenAFlowIsWritten() throws Exception {
    FlowRing ring = new FlowRing(7);
    RingReader reader = ring.readFromNewest();
    CompletableFuture<RingEntry> followed = CompletableFuture.supplyAsync(() -> {
      try {
        return reader.nextFollow(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(50); // let it park: waking a parked reader is what this is about
    long written = System.nanoTime();
    ring.write(flow(42));

    RingEntry entry = followed.get(5, TimeUnit.SECONDS);
    assertThat(second(entry)).isEqualTo(42);
    assertThat(System.nanoTime() - written).isLessThan(TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  void shouldStopFollowingOnTimeoutOrInterrupt() throws Exception {
    FlowRing ring = new FlowRing(7);
    assertThat(ring.readFromNewest().nextFollow(20, TimeUnit.MILLISECONDS)).isNull();

    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread follower = new Thread(() -> {
      try {
        ring.readFromNewest().nextFollow(1, TimeUnit.MINUTES);
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    follower.start();
    Thread.sleep(50);
    follower.interrupt();
    follower.join(5000);
    assertThat(follower.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
  }

  @Test
  void shouldAccountForEveryEntryWhenAFollowerRacesAFasterWriter() throws Exception {
    FlowRing ring = new FlowRing(255);
    int total = 500_000;
    Flow flow = flow(1);
    RingReader reader = ring.readFromNewest();
    CompletableFuture<long[]> followed = CompletableFuture.supplyAsync(() -> {
      long flows = 0;
      long lost = 0;
      long last = -1;
      try {
        while (flows + lost < total) {
          RingEntry entry = reader.nextFollow(10, TimeUnit.SECONDS);
          if (entry == null) {
            break;
          }
          if (entry.sequence() <= last) {
            throw new IllegalStateException("went back from " + last + " to " + entry.sequence());
          }
          if (entry instanceof RingEntry.LostEntry l) {
            lost += l.event().getNumEventsLost();
            last = entry.sequence() + l.event().getNumEventsLost() - 1;
          } else {
            flows++;
            last = entry.sequence();
          }
        }
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return new long[] {flows, lost};
    });
    for (int i = 0; i < total; i++) {
      ring.write(flow);
    }

    long[] seen = followed.get(30, TimeUnit.SECONDS);
    assertThat(seen[0] + seen[1]).isEqualTo(total);
    assertThat(seen[0]).isPositive();
  }
}
