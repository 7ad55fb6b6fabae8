// Placeholder until this command lands.
export function main(_args: string[]): Promise<void> {
  return Promise.reject(new Error('not built yet'));
}
