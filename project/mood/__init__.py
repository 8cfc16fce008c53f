"""Daily Mood: a form whose POST sends a slow email through a background job."""
