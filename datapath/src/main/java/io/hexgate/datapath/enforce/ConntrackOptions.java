package io.hexgate.datapath.enforce;

import io.hexgate.datapath.abi.CtLifetimes;
import java.time.Duration;

/**
 * Connection tracking settings of a node's datapath.
 *
 * @param mapSize hg_ct's max_entries, set before load; 0 for the compiled size (262,144). Each connection
 *     takes two entries (three through a service)
 * @param quota connections one endpoint may have recorded at once (new ones over it are dropped, 155); 0
 *     for a sixteenth of the map's size, so that no single pod can fill it
 * @param lifetimes per protocol and TCP state
 * @param gcInterval how often the agent's conntrack GC deletes expired and no longer allowed connections
 */
public record ConntrackOptions(int mapSize, int quota, CtLifetimes lifetimes, Duration gcInterval) {
  public static final int DEFAULT_MAP_SIZE = 262_144;
  public static final ConntrackOptions DEFAULT = new ConntrackOptions(0, 0, CtLifetimes.DEFAULT, Duration.ofSeconds(30));

  public ConntrackOptions {
    if (mapSize < 0 || quota < 0) {
      throw new IllegalArgumentException("conntrack options: mapSize and quota must not be negative (mapSize "
          + mapSize + ", quota " + quota + ")");
    }
    lifetimes = lifetimes != null ? lifetimes : CtLifetimes.DEFAULT;
    gcInterval = gcInterval != null ? gcInterval : Duration.ofSeconds(30);
    if (gcInterval.isNegative() || gcInterval.isZero()) {
      throw new IllegalArgumentException("conntrack options: gcInterval must be positive, got " + gcInterval);
    }
  }

  public int effectiveMapSize() {
    return mapSize > 0 ? mapSize : DEFAULT_MAP_SIZE;
  }

  public int effectiveQuota() {
    return quota > 0 ? quota : Math.max(1, effectiveMapSize() / 16);
  }
}
