// Vite's `?inline` imports give a file's text (CSS adopted into a shadow root).
declare module '*.css?inline' {
  const text: string;
  export default text;
}
