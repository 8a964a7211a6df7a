// Scores a results file of the http-cache-tests suite (cache-tests.fyi) the way its published tables count:
// tests of kind "required" (the default) that a reverse proxy runs, passed or not.
// usage: node score-cache-tests.mjs <suite directory> <results.json>
import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const [suite, resultsFile] = process.argv.slice(2)
const load = async file => (await import(pathToFileURL(path.join(suite, 'tests', file)).href)).default
const suites = await load('index.mjs')
suites.push(await load('surrogate-control.mjs'))
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
const score = { required: 0, requiredPassed: 0, other: 0, otherPassed: 0, failedRequired: [] }
for (const group of suites) {
  for (const test of group.tests) {
    if (test.browser_only) continue
    const passed = results[test.id] === true
    if ((test.kind || 'required') === 'required') {
      score.required++
      if (passed) score.requiredPassed++
      else score.failedRequired.push(`${test.id}: ${JSON.stringify(results[test.id])}`)
    } else {
      score.other++
      if (passed) score.otherPassed++
    }
  }
}
console.log(JSON.stringify(score))
