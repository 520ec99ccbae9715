package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Mutates or refuses an object before it is stored, as an admission plugin does: the lab uses it to fill
 * in what a cluster's API server and controllers set on create. Runs under the server's write lock, so it
 * must not call back into the API; throw {@link ApiException} to refuse.
 */
@FunctionalInterface
public interface AdmissionHook {
  /**
   * @param operation CREATE or UPDATE
   * @param type the object's resource type
   * @param object the object about to be stored, to mutate in place
   * @param old the stored object on UPDATE, null on CREATE
   */
  void admit(String operation, ApiResource type, ObjectNode object, ObjectNode old);
}
