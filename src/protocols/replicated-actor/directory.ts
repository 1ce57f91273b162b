/**
 * Logical addressing. A replicated actor has a logical id ('tm', 'rm1') that the hosted machine
 * uses for itself and its peers; the directory names the replicas (node ids, 'tm/1') that host each
 * actor. A message an actor sends to a logical id goes to every replica of that actor's group; a
 * message from a replica reaches the hosted machine as from the replica's actor.
 */
export type ActorDirectory = { readonly [actor: string]: readonly string[] };

/** The replicas of `actor`'s group. */
export function replicasOf(directory: ActorDirectory, actor: string): readonly string[] {
  const replicas = directory[actor];
  if (replicas === undefined || replicas.length === 0) {
    throw new Error(`no replicas for actor "${actor}" in the directory (actors: ${Object.keys(directory).join(', ') || 'none'})`);
  }
  return replicas;
}

/** The actor whose group `replica` belongs to, or undefined when it is no replica of the directory. */
export function actorOf(directory: ActorDirectory, replica: string): string | undefined {
  for (const [actor, replicas] of Object.entries(directory)) if (replicas.includes(replica)) return actor;
  return undefined;
}

/** Every replica of every actor but `actor`'s own: whom a replica of `actor` may hear from besides its group. */
export function otherReplicas(directory: ActorDirectory, actor: string): string[] {
  return Object.entries(directory)
    .filter(([other]) => other !== actor)
    .flatMap(([, replicas]) => replicas);
}

/** Refuses a directory in which a replica serves two actors or an actor has no replica. */
export function checkDirectory(directory: ActorDirectory): void {
  const seen = new Map<string, string>();
  for (const [actor, replicas] of Object.entries(directory)) {
    if (replicas.length === 0) throw new Error(`actor "${actor}" has no replicas`);
    for (const replica of replicas) {
      const other = seen.get(replica);
      if (other !== undefined) throw new Error(`replica "${replica}" is listed for both "${other}" and "${actor}"`);
      seen.set(replica, actor);
    }
  }
}
