package io.hexgate.operator.status;

import java.util.HashMap;
import java.util.Map;

/** What {@link PolicyStatusTracker} keeps per CNP/CCNP; guarded by the tracker's lock. */
final class TrackedPolicy {
  Object rules; // the engine's rule list instance: a new one means new rules
  final Map<String, Long> required = new HashMap<>(); // node -> first revision holding the rules
  long allowed;
  long denied;
  Long fullyEnforced; // the latest generation every selected node was seen enforcing
}
