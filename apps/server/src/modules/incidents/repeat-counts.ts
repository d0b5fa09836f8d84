/** Repeats of one alert counted in memory and not yet written to its row. */
export interface Repeats {
  repeats: number;
  lastSeen: string;
}

/**
 * Repeated triggers counted in memory between writes, by alert id: alert ingestion on SQLite adds
 * the repeats of each committed transaction here and writes them all about once a second, so a storm
 * of repeats costs one row update per alert and second instead of one per event. Every repeat is
 * also a stored `trigger` event in alert_events, committed before its answer: what is here when the
 * process dies is recounted from those (see alert-ingest.ts). Readers of an alert add what is here
 * (`view`), so the counts they show are exact.
 */
export function createRepeatCounts() {
  const pending = new Map<string, Repeats>();
  return {
    get size() {
      return pending.size;
    },
    add(alertId: string, repeats: number, lastSeen: string): void {
      if (repeats <= 0) return;
      const entry = pending.get(alertId);
      if (!entry) pending.set(alertId, { repeats, lastSeen });
      else {
        entry.repeats += repeats;
        if (lastSeen > entry.lastSeen) entry.lastSeen = lastSeen;
      }
    },
    /** A copy of everything pending, to write. */
    snapshot(): Map<string, Repeats> {
      return new Map([...pending].map(([id, r]) => [id, { ...r }]));
    },
    /** Takes off what `written` wrote (repeats added meanwhile stay pending). */
    written(written: Map<string, Repeats>): void {
      for (const [id, w] of written) {
        const entry = pending.get(id);
        if (!entry) continue;
        entry.repeats -= w.repeats;
        if (entry.repeats <= 0) pending.delete(id);
      }
    },
    /** An alert's stored count and last-seen time with its pending repeats added. */
    view(
      alertId: string,
      eventCount: number,
      lastSeen: string,
    ): { event_count: number; last_seen_at: string } {
      const entry = pending.get(alertId);
      if (!entry) return { event_count: eventCount, last_seen_at: lastSeen };
      return {
        event_count: eventCount + entry.repeats,
        last_seen_at: entry.lastSeen > lastSeen ? entry.lastSeen : lastSeen,
      };
    },
  };
}

export type RepeatCounts = ReturnType<typeof createRepeatCounts>;
