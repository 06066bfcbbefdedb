/** Whether `p` settles within `ms` (true) or the bound passes first (false); the timer never outlives the wait. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = p.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, bound]);
  } finally {
    clearTimeout(timer);
  }
}
