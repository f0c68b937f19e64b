// Mermaid's own parser over diagrams, for tests/flows/test_flows_graph.py.
// stdin: a JSON object {name: diagram text}; stdout: a JSON object {name: null if it parses, else the error}.
// Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom provides one before mermaid loads.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
console.log = console.error; // anything mermaid prints stays off stdout, which carries the answer
const { default: mermaid } = await import('mermaid');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = {};
for (const [name, text] of Object.entries(JSON.parse(input))) {
  try {
    await mermaid.parse(text);
    results[name] = null;
  } catch (error) {
    results[name] = String(error?.message ?? error);
  }
}
process.stdout.write(JSON.stringify(results));
