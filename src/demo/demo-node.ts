/** The two nodes of the demo's throwaway pair. */
export type DemoNode = 'a' | 'b';

export const DEMO_NODES: readonly DemoNode[] = ['a', 'b'];

export function otherNode(n: DemoNode): DemoNode {
  return n === 'a' ? 'b' : 'a';
}

/** Also the node's gtid_domain_id and auto_increment_offset, so the two never collide. */
export function serverIdOf(n: DemoNode): number {
  return n === 'a' ? 1 : 2;
}
