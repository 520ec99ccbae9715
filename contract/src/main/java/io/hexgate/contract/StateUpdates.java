package io.hexgate.contract;

import io.hexgate.contract.v1.StateUpdate;

/** How a {@link StateUpdate} reads in a log line, the same on both ends of the stream. */
public final class StateUpdates {
  private StateUpdates() {}

  /** E.g. "snapshot: 3 endpoints, 12 ipcache entries, 2 services" or "delta from revision 6: endpoints +1 -0, ...". */
  public static String describe(StateUpdate u) {
    if (u.getSnapshot()) {
      return "snapshot: " + u.getUpsertEndpointsCount() + " endpoints, " + u.getUpsertIpcacheCount() + " ipcache entries, "
          + u.getUpsertServicesCount() + " services";
    }
    return "delta from revision " + u.getBaseRevision()
        + ": endpoints +" + u.getUpsertEndpointsCount() + " -" + u.getRemoveEndpointsCount()
        + ", ipcache +" + u.getUpsertIpcacheCount() + " -" + u.getRemoveIpcacheCount()
        + ", services +" + u.getUpsertServicesCount() + " -" + u.getRemoveServicesCount();
  }
}
