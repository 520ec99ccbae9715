package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Told of every stored change, under the server's write lock: ADDED, MODIFIED or DELETED. */
@FunctionalInterface
interface WatchListener {
  void changed(String eventType, ApiResource type, ObjectNode object);
}
